;; wasm function 0 `load_widths`
     0:  push rbp
     1:  mov rbp,rsp
     4:  mov rax,[rdi]
     7:  mov edi,esi
     9:  movsx rcx,byte ptr [rax+rdi]  ; trap: MemoryOutOfBounds
     e:  movzx rdx,word ptr [rax+rdi+2]  ; trap: MemoryOutOfBounds
    14:  movsxd rsi,[rax+rdi+8]  ; trap: MemoryOutOfBounds
    19:  mov rax,[rax+rdi+10h]  ; trap: MemoryOutOfBounds
    1e:  movsxd rcx,ecx
    21:  add rcx,rdx
    24:  add rcx,rsi
    27:  add rax,rcx
    2a:  mov rsp,rbp
    2d:  pop rbp
    2e:  ret

;; wasm function 1 `store_widths`
     0:  push rbp
     1:  mov rbp,rsp
     4:  mov rdi,[rdi]
     7:  mov r8d,esi
     a:  mov [rdi+r8],dl  ; trap: MemoryOutOfBounds
     e:  mov [rdi+r8+4],edx  ; trap: MemoryOutOfBounds
    13:  movss [rdi+r8+8],xmm0  ; trap: MemoryOutOfBounds
    1a:  movsd [rdi+r8+10000h],xmm1  ; trap: MemoryOutOfBounds
    24:  mov rsp,rbp
    27:  pop rbp
    28:  ret

