;; wasm function 0 `i32_ops`
     0:  push rbp
     1:  mov rbp,rsp
     4:  mov r10,rsi
     7:  mov rax,r10
     a:  lea esi,[rax+rdx]
     d:  imul esi,edx
    10:  sub esi,eax
    12:  shl esi,3
    15:  mov rcx,rdx
    18:  ror esi,cl
    1a:  popcnt eax,esi
    1e:  mov rsp,rbp
    21:  pop rbp
    22:  ret

;; wasm function 1 `i32_div`
     0:  push rbp
     1:  mov rbp,rsp
     4:  mov rax,rsi
     7:  mov r11,rdx
     a:  cdq
     b:  mov rcx,r11
     e:  test ecx,ecx
    10:  je 0000000000000025h
    16:  idiv ecx  ; trap: IntegerOverflow
    18:  xor rdx,rdx
    1b:  div ecx  ; trap: IntegerDivisionByZero
    1d:  mov rax,rdx
    20:  mov rsp,rbp
    23:  pop rbp
    24:  ret
    25:  ud2  ; trap: IntegerDivisionByZero

;; wasm function 2 `i64_cmp`
     0:  push rbp
     1:  mov rbp,rsp
     4:  cmp rsi,rdx
     7:  mov r10,rsi
     a:  setb sil
     e:  test r10,r10
    11:  sete r9b
    15:  or esi,r9d
    18:  movzx eax,sil
    1c:  mov rsp,rbp
    1f:  pop rbp
    20:  ret

;; wasm function 3 `floats`
     0:  push rbp
     1:  mov rbp,rsp
     4:  xorpd xmm2,xmm2
     8:  cvtss2sd xmm2,xmm1
     c:  movdqa xmm3,xmm0
    10:  addsd xmm3,xmm2
    14:  xorpd xmm1,xmm1
    18:  sqrtsd xmm1,xmm3
    1c:  mov rax,8000000000000000h
    26:  movq xmm2,rax
    2b:  movdqa xmm3,xmm2
    2f:  andnpd xmm3,xmm1
    33:  andpd xmm2,xmm0
    37:  orpd xmm3,xmm2
    3b:  roundsd xmm0,xmm3,0
    41:  mov rsp,rbp
    44:  pop rbp
    45:  ret

;; wasm function 4 `conversions`
     0:  push rbp
     1:  mov rbp,rsp
     4:  cvttsd2si r8,xmm0
     9:  cmp r8,1
     d:  jno 0000000000000044h
    13:  ucomisd xmm0,xmm0
    17:  jp 00000000000000ADh
    1d:  mov r10,0C3E0000000000000h
    27:  movq xmm1,r10
    2c:  ucomisd xmm0,xmm1
    30:  jb 00000000000000AFh
    36:  xorpd xmm1,xmm1
    3a:  ucomisd xmm1,xmm0
    3e:  jb 00000000000000B1h
    44:  mov r9,41E0000000000000h
    4e:  movq xmm7,r9
    53:  ucomisd xmm0,xmm7
    57:  jae 000000000000007Eh
    5d:  jnp 000000000000006Ah
    63:  xor esi,esi
    65:  jmp 00000000000000A2h
    6a:  cvttsd2si esi,xmm0
    6e:  cmp esi,0
    71:  jge 00000000000000A2h
    77:  xor esi,esi
    79:  jmp 00000000000000A2h
    7e:  movaps xmm1,xmm0
    81:  subsd xmm1,xmm7
    85:  cvttsd2si esi,xmm1
    89:  cmp esi,0
    8c:  jge 000000000000009Ch
    92:  mov esi,0FFFFFFFFh
    97:  jmp 00000000000000A2h
    9c:  add esi,80000000h
    a2:  mov esi,esi
    a4:  lea rax,[r8+rsi]
    a8:  mov rsp,rbp
    ab:  pop rbp
    ac:  ret
    ad:  ud2  ; trap: BadConversionToInteger
    af:  ud2  ; trap: IntegerOverflow
    b1:  ud2  ; trap: IntegerOverflow

