;; wasm function 0 `callee`
     0:  push rbp
     1:  mov rbp,rsp
     4:  mov rax,rsi
     7:  mov rsp,rbp
     a:  pop rbp
     b:  ret

;; wasm function 1
     0:  push rbp
     1:  mov rbp,rsp
     4:  mov r10,[rdi+10h]
     8:  add r10,50h
     c:  cmp r10,rsp
     f:  ja 0000000000000065h
    15:  sub rsp,40h
    19:  mov [rsp+10h],rbx
    1e:  mov [rsp+18h],r12
    23:  mov [rsp+20h],r13
    28:  mov [rsp+28h],r14
    2d:  mov [rsp+30h],r15
    32:  mov [rsp],rdi
    36:  call 000000000000003Bh  ; reloc kiln_func_0
    3b:  jmp 0000000000000043h
    40:  mov eax,[rax+10h]
    43:  mov rbx,[rsp+10h]
    48:  mov r12,[rsp+18h]
    4d:  mov r13,[rsp+20h]
    52:  mov r14,[rsp+28h]
    57:  mov r15,[rsp+30h]
    5c:  add rsp,40h
    60:  mov rsp,rbp
    63:  pop rbp
    64:  ret
    65:  ud2  ; trap: StackOverflow

;; wasm function 2
     0:  push rbp
     1:  mov rbp,rsp
     4:  mov r10,[rdi+10h]
     8:  add r10,20h
     c:  cmp r10,rsp
     f:  ja 000000000000004Ch
    15:  sub rsp,10h
    19:  mov [rsp],r12
    1d:  mov [rsp+8],r13
    22:  mov r12,rdi
    25:  mov r13,rsi
    28:  xor esi,esi
    2a:  mov r8,[31h]  ; reloc kiln_rt_exn_new
    31:  call r8
    34:  mov rsi,r13
    37:  mov [rax+10h],esi
    3a:  mov r8,[41h]  ; reloc kiln_rt_throw_ref
    41:  mov rsi,rax
    44:  mov rdi,r12
    47:  call r8
    4a:  ud2  ; trap: Unreachable
    4c:  ud2  ; trap: StackOverflow

;; wasm function 3
     0:  push rbp
     1:  mov rbp,rsp
     4:  mov rax,rsi
     7:  mov rsp,rbp
     a:  pop rbp
     b:  ret

