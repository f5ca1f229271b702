;; wasm function 0 `unreachable`
     0:  push rbp
     1:  mov rbp,rsp
     4:  ud2  ; trap: Unreachable

;; wasm function 1 `overflow`
     0:  push rbp
     1:  mov rbp,rsp
     4:  mov eax,80000000h
     9:  cdq
     a:  test esi,esi
     c:  je 0000000000000019h
    12:  idiv esi  ; trap: IntegerOverflow
    14:  mov rsp,rbp
    17:  pop rbp
    18:  ret
    19:  ud2  ; trap: IntegerDivisionByZero

;; wasm function 2 `bad_conversion`
     0:  push rbp
     1:  mov rbp,rsp
     4:  mov esi,4F000000h
     9:  movd xmm3,esi
     d:  ucomiss xmm0,xmm3
    10:  jae 000000000000002Bh
    16:  jp 0000000000000049h
    1c:  cvttss2si eax,xmm0
    20:  cmp eax,0
    23:  jge 0000000000000044h
    29:  ud2  ; trap: IntegerOverflow
    2b:  movaps xmm4,xmm0
    2e:  subss xmm4,xmm3
    32:  cvttss2si eax,xmm4
    36:  cmp eax,0
    39:  jl 000000000000004Bh
    3f:  add eax,80000000h
    44:  mov rsp,rbp
    47:  pop rbp
    48:  ret
    49:  ud2  ; trap: BadConversionToInteger
    4b:  ud2  ; trap: IntegerOverflow

;; wasm function 3 `oob`
     0:  push rbp
     1:  mov rbp,rsp
     4:  mov esi,esi
     6:  add rsi,[rdi]
     9:  mov edi,0FFFFFFF0h
     e:  mov eax,[rsi+rdi]  ; trap: MemoryOutOfBounds
    11:  mov rsp,rbp
    14:  pop rbp
    15:  ret

;; wasm function 4 `table_oob`
     0:  push rbp
     1:  mov rbp,rsp
     4:  mov rdi,[rdi+18h]
     8:  mov r8,[rdi]
     b:  mov rdi,[r8]
     e:  cmp esi,[r8+8]
    12:  jae 0000000000000024h
    18:  mov r9d,esi
    1b:  mov rax,[rdi+r9*8]
    1f:  mov rsp,rbp
    22:  pop rbp
    23:  ret
    24:  ud2  ; trap: TableOutOfBounds

