;; wasm function 1 `countdown`
     0:  push rbp
     1:  mov rbp,rsp
     4:  mov r10,[rdi+10h]
     8:  add r10,10h
     c:  cmp r10,rsp
     f:  ja 0000000000000030h
    15:  test esi,esi
    17:  je 0000000000000029h
    1d:  sub esi,1
    20:  mov rsp,rbp
    23:  pop rbp
    24:  jmp 0000000000000029h  ; reloc kiln_func_1
    29:  xor eax,eax
    2b:  mov rsp,rbp
    2e:  pop rbp
    2f:  ret
    30:  ud2  ; trap: StackOverflow

;; wasm function 2 `to_host`
     0:  push rbp
     1:  mov rbp,rsp
     4:  mov r10,[rdi+10h]
     8:  add r10,10h
     c:  cmp r10,rsp
     f:  ja 0000000000000027h
    15:  mov rdi,[rdi+20h]
    19:  mov r10,[rdi]
    1c:  mov rdi,[rdi+8]
    20:  mov rsp,rbp
    23:  pop rbp
    24:  jmp r10
    27:  ud2  ; trap: StackOverflow

;; wasm function 3 `indirect`
     0:  push rbp
     1:  mov rbp,rsp
     4:  mov r10,[rdi+10h]
     8:  add r10,10h
     c:  cmp r10,rsp
     f:  ja 0000000000000056h
    15:  mov rax,[rdi+18h]
    19:  mov rcx,[rax]
    1c:  mov rax,[rcx]
    1f:  cmp edx,[rcx+8]
    22:  jae 0000000000000058h
    28:  mov ecx,edx
    2a:  mov rax,[rax+rcx*8]
    2e:  test rax,rax
    31:  je 000000000000005Ah
    37:  mov ecx,[rax+8]
    3a:  mov rdx,[rdi+30h]
    3e:  mov edx,[rdx]
    40:  cmp edx,ecx
    42:  jne 000000000000005Ch
    48:  mov r10,[rax]
    4b:  mov rdi,[rax+10h]
    4f:  mov rsp,rbp
    52:  pop rbp
    53:  jmp r10
    56:  ud2  ; trap: StackOverflow
    58:  ud2  ; trap: UndefinedElement
    5a:  ud2  ; trap: UninitializedElement
    5c:  ud2  ; trap: BadSignature

