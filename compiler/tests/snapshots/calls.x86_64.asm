;; wasm function 1 `add`
     0:  push rbp
     1:  mov rbp,rsp
     4:  lea eax,[rsi+rdx]
     7:  mov rsp,rbp
     a:  pop rbp
     b:  ret

;; wasm function 2 `sub`
     0:  push rbp
     1:  mov rbp,rsp
     4:  mov rax,rsi
     7:  sub eax,edx
     9:  mov rsp,rbp
     c:  pop rbp
     d:  ret

;; wasm function 3 `direct`
     0:  push rbp
     1:  mov rbp,rsp
     4:  mov r10,[rdi+10h]
     8:  add r10,10h
     c:  cmp r10,rsp
     f:  ja 000000000000002Ah
    15:  mov r11,[rdi+20h]
    19:  mov r10,[r11]
    1c:  mov rdi,[r11+8]
    20:  add esi,esi
    22:  call r10
    25:  mov rsp,rbp
    28:  pop rbp
    29:  ret
    2a:  ud2  ; trap: StackOverflow

;; wasm function 4 `indirect`
     0:  push rbp
     1:  mov rbp,rsp
     4:  mov r10,[rdi+10h]
     8:  add r10,10h
     c:  cmp r10,rsp
     f:  ja 0000000000000057h
    15:  mov rax,[rdi+18h]
    19:  mov r8,[rax]
    1c:  mov rax,[r8]
    1f:  cmp ecx,[r8+8]
    23:  jae 0000000000000059h
    29:  mov ecx,ecx
    2b:  mov rax,[rax+rcx*8]
    2f:  test rax,rax
    32:  je 000000000000005Bh
    38:  mov ecx,[rax+8]
    3b:  mov rdi,[rdi+30h]
    3f:  mov edi,[rdi]
    41:  cmp edi,ecx
    43:  jne 000000000000005Dh
    49:  mov rcx,[rax]
    4c:  mov rdi,[rax+10h]
    50:  call rcx
    52:  mov rsp,rbp
    55:  pop rbp
    56:  ret
    57:  ud2  ; trap: StackOverflow
    59:  ud2  ; trap: UndefinedElement
    5b:  ud2  ; trap: UninitializedElement
    5d:  ud2  ; trap: BadSignature

