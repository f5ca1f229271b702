;; wasm function 0 `lt`
     0:  push rbp
     1:  mov rbp,rsp
     4:  cmp esi,edx
     6:  setl sil
     a:  movzx eax,sil
     e:  mov rsp,rbp
    11:  pop rbp
    12:  ret

;; wasm function 1 `gt`
     0:  push rbp
     1:  mov rbp,rsp
     4:  cmp esi,edx
     6:  setg sil
     a:  movzx eax,sil
     e:  mov rsp,rbp
    11:  pop rbp
    12:  ret

;; wasm function 2 `twice`
     0:  push rbp
     1:  mov rbp,rsp
     4:  mov r10,[rdi+10h]
     8:  add r10,50h
     c:  cmp r10,rsp
     f:  ja 00000000000000D1h
    15:  sub rsp,40h
    19:  mov [rsp+10h],rbx
    1e:  mov [rsp+18h],r12
    23:  mov [rsp+20h],r13
    28:  mov [rsp+28h],r14
    2d:  mov [rsp+30h],r15
    32:  mov r14,rcx
    35:  mov r15,rdx
    38:  cmp esi,2
    3b:  jae 00000000000000D3h
    41:  mov rax,[rdi+18h]
    45:  mov rax,[rax]
    48:  mov r13,[rax]
    4b:  mov ebx,esi
    4d:  mov rcx,[r13+rbx*8]
    52:  test rcx,rcx
    55:  je 00000000000000D5h
    5b:  mov edx,[rcx+8]
    5e:  mov rsi,[rdi+30h]
    62:  mov r12d,[rsi]
    65:  cmp r12d,edx
    68:  jne 00000000000000D7h
    6e:  mov r8,[rcx]
    71:  mov rdi,[rcx+10h]
    75:  mov rdx,r14
    78:  mov rsi,r15
    7b:  call r8
    7e:  mov [rsp],rax
    82:  mov rax,[r13+rbx*8]
    87:  test rax,rax
    8a:  je 00000000000000D9h
    90:  cmp r12d,[rax+8]
    94:  jne 00000000000000DBh
    9a:  mov rcx,[rax]
    9d:  mov rdi,[rax+10h]
    a1:  mov rdx,r15
    a4:  mov rsi,r14
    a7:  call rcx
    a9:  mov rcx,[rsp]
    ad:  add eax,ecx
    af:  mov rbx,[rsp+10h]
    b4:  mov r12,[rsp+18h]
    b9:  mov r13,[rsp+20h]
    be:  mov r14,[rsp+28h]
    c3:  mov r15,[rsp+30h]
    c8:  add rsp,40h
    cc:  mov rsp,rbp
    cf:  pop rbp
    d0:  ret
    d1:  ud2  ; trap: StackOverflow
    d3:  ud2  ; trap: UndefinedElement
    d5:  ud2  ; trap: UninitializedElement
    d7:  ud2  ; trap: BadSignature
    d9:  ud2  ; trap: UninitializedElement
    db:  ud2  ; trap: BadSignature

