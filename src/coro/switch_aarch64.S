/* The context switch for aarch64 (AAPCS64).
 *
 * void cio__ctx_switch(void **save_sp, void *load_sp);
 *
 * Saves what the ABI says a callee must preserve: x19-x28, the frame pointer
 * x29, the link register x30, the low halves d8-d15 of v8-v15, and FPCR.
 * A new coroutine's frame (laid out by cio__coro_start) has x30 pointing at
 * cio__ctx_entry, which calls x19(x20, x21, x22), that is entry(coro, fn,
 * arg).
 */
#if defined(__aarch64__) && !defined(CIO_CORO_UCONTEXT)
    .text
    .p2align 4
    .globl cio__ctx_switch
    .hidden cio__ctx_switch
    .type cio__ctx_switch, %function
cio__ctx_switch:
    .cfi_startproc
    sub sp, sp, #176
    stp x19, x20, [sp, #0]
    stp x21, x22, [sp, #16]
    stp x23, x24, [sp, #32]
    stp x25, x26, [sp, #48]
    stp x27, x28, [sp, #64]
    stp x29, x30, [sp, #80]
    stp d8, d9, [sp, #96]
    stp d10, d11, [sp, #112]
    stp d12, d13, [sp, #128]
    stp d14, d15, [sp, #144]
    mrs x9, fpcr
    str x9, [sp, #160]
    mov x9, sp
    str x9, [x0]
    mov sp, x1
    ldp x19, x20, [sp, #0]
    ldp x21, x22, [sp, #16]
    ldp x23, x24, [sp, #32]
    ldp x25, x26, [sp, #48]
    ldp x27, x28, [sp, #64]
    ldp x29, x30, [sp, #80]
    ldp d8, d9, [sp, #96]
    ldp d10, d11, [sp, #112]
    ldp d12, d13, [sp, #128]
    ldp d14, d15, [sp, #144]
    ldr x9, [sp, #160]
    msr fpcr, x9
    add sp, sp, #176
    ret
    .cfi_endproc
    .size cio__ctx_switch, .-cio__ctx_switch

    .p2align 4
    .globl cio__ctx_entry
    .hidden cio__ctx_entry
    .type cio__ctx_entry, %function
cio__ctx_entry:
    .cfi_startproc
    .cfi_undefined x30
    mov x0, x20
    mov x1, x21
    mov x2, x22
    blr x19
    brk #0
    .cfi_endproc
    .size cio__ctx_entry, .-cio__ctx_entry
#endif
    .section .note.GNU-stack,"",%progbits
