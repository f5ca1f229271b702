;; wasm function 0 `guarded`
     0:  push rbp
     1:  mov rbp,rsp
     4:  mov r10,[rdi]
     7:  mov r11d,esi
     a:  mov r10d,[r10+r11]  ; trap: MemoryOutOfBounds
     e:  mov rax,[rdi+50h]
    12:  mov rax,[rax+8]
    16:  mov rax,[rax]
    19:  mov r11d,[rax+r11+8]  ; trap: MemoryOutOfBounds
    1e:  lea eax,[r10+r11]
    22:  mov rsp,rbp
    25:  pop rbp
    26:  ret

;; wasm function 1 `checked64`
     0:  push rbp
     1:  mov rbp,rsp
     4:  mov r9,[rdi+50h]
     8:  mov r9,[r9+10h]
     c:  cmp rsi,[r9+8]
    10:  ja 000000000000004Ch
    16:  mov rax,[r9]
    19:  lea r11,[rax+rsi]
    1d:  mov [rax+rsi+10h],rdx  ; trap: MemoryOutOfBounds
    22:  add rsi,[58h]
    29:  jb 000000000000004Eh
    2f:  cmp rsi,[r9+8]
    33:  ja 0000000000000050h
    39:  mov rax,100000000h
    43:  mov [r11+rax],rdx  ; trap: MemoryOutOfBounds
    47:  mov rsp,rbp
    4a:  pop rbp
    4b:  ret
    4c:  ud2  ; trap: MemoryOutOfBounds
    4e:  ud2  ; trap: MemoryOutOfBounds
    50:  ud2  ; trap: MemoryOutOfBounds
    52:  add [rax],al
    54:  add [rax],al
    56:  add [rax],al
    58:  or [rax],al
    5a:  add [rax],al
    5c:  add [rax],eax
    5e:  add [rax],al

;; wasm function 2 `size_grow64`
     0:  push rbp
     1:  mov rbp,rsp
     4:  mov r10,[rdi+10h]
     8:  add r10,20h
     c:  cmp r10,rsp
     f:  ja 000000000000004Fh
    15:  sub rsp,10h
    19:  mov [rsp],r12
    1d:  mov rdx,rsi
    20:  mov r10,[rdi+50h]
    24:  mov r10,[r10+10h]
    28:  mov r12,[r10+8]
    2c:  mov esi,2
    31:  mov r10,[38h]  ; reloc kiln_rt_memory_grow
    38:  call r10
    3b:  shr r12,10h
    3f:  add rax,r12
    42:  mov r12,[rsp]
    46:  add rsp,10h
    4a:  mov rsp,rbp
    4d:  pop rbp
    4e:  ret
    4f:  ud2  ; trap: StackOverflow

