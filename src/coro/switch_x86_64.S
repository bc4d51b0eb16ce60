/* The context switch for x86-64 (System V ABI).
 *
 * void cio__ctx_switch(void **save_sp, void *load_sp);
 *
 * Pushes what the ABI says a callee must preserve (rbp, rbx, r12-r15, and
 * the control bits of MXCSR and the x87 control word), stores the stack
 * pointer in *save_sp, loads load_sp and pops the same frame from there.
 * Everything else is caller-saved, so the compiler has already spilled it.
 *
 * A new coroutine's stack is laid out by cio__coro_start() as if it had
 * called cio__ctx_switch: its "return address" is cio__ctx_entry, which
 * jumps to r12(r13, r14, r15): entry(coro, fn, arg), or in the plain build
 * fn(arg) itself. It jumps, with a zero return address pushed (where
 * backtraces end), rather than calls: a call nothing returns from would
 * leave its return address on the CPU's return stack buffer, and every
 * return the creator of an eager task makes after the task ends would then
 * be mispredicted (3 of them per eager task, about a fifth of its cost).
 */
#if defined(__x86_64__) && !defined(CIO_CORO_UCONTEXT)
    .text
    .p2align 4
    .globl cio__ctx_switch
    .hidden cio__ctx_switch
    .type cio__ctx_switch, @function
cio__ctx_switch:
    .cfi_startproc
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp           /* MXCSR, x87 CW, 2 bytes of padding */
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    /* Read the words back at the sizes they were stored: one 8-byte load
     * of both cannot be forwarded from the two stores and waits for them
     * to reach the cache. */
    movl (%rsp), %eax
    movzwl 4(%rsp), %ecx
    movq %rsi, %rsp
    /* Loading a control word stalls the pipeline; the words are nearly
     * always the same on both sides, so load them only when they differ.
     * MXCSR's low 6 bits are sticky exception flags, not control bits (the
     * ABI does not preserve them): a task that computed with doubles has
     * the inexact flag set, one that did not has not, and comparing them
     * too loaded both words at every switch. */
    xorl (%rsp), %eax
    xorw 4(%rsp), %cx
    andl $0xffffffc0, %eax
    orl %ecx, %eax
    jnz 2f
1:
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
2:
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    jmp 1b
    .cfi_endproc
    .size cio__ctx_switch, .-cio__ctx_switch

    .p2align 4
    .globl cio__ctx_entry
    .hidden cio__ctx_entry
    .type cio__ctx_entry, @function
cio__ctx_entry:
    .cfi_startproc
    .cfi_undefined rip
    movq %r13, %rdi
    movq %r14, %rsi
    movq %r15, %rdx
    pushq $0
    jmpq *%r12
    .cfi_endproc
    .size cio__ctx_entry, .-cio__ctx_entry
#endif
    .section .note.GNU-stack,"",@progbits
