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

/* void cio__ctx_call(void **save_sp, char *top, void (*fn)(void *),
 *                    void *arg);
 *
 * Starts a coroutine by a call rather than a switch (an eager task's start,
 * cio__coro_call): saves the caller's frame as cio__ctx_switch does, so
 * that a switch to *save_sp resumes the caller as if this returned, then
 * calls fn(arg) on the stack below `top` (16-byte aligned). If fn returns,
 * the coroutine has finished without suspending: the caller's registers
 * come back from the frame and this returns. A call and its return, where
 * a switch in and a switch out were two returns the CPU's return stack
 * buffer could not predict, and no frame is laid out on the new stack.
 * The control words are each coroutine's own, as with cio__ctx_switch: fn
 * starts with the defaults (those cio__coro_start lays out), the caller
 * gets its own back; each is loaded only when it differs.
 */
    .p2align 4
    .globl cio__ctx_call
    .hidden cio__ctx_call
    .type cio__ctx_call, @function
cio__ctx_call:
    .cfi_startproc
    pushq %rbp
    .cfi_def_cfa_offset 16
    .cfi_offset rbp, -16
    pushq %rbx
    .cfi_def_cfa_offset 24
    .cfi_offset rbx, -24
    pushq %r12
    .cfi_def_cfa_offset 32
    .cfi_offset r12, -32
    pushq %r13
    .cfi_def_cfa_offset 40
    .cfi_offset r13, -40
    pushq %r14
    .cfi_def_cfa_offset 48
    .cfi_offset r14, -48
    pushq %r15
    .cfi_def_cfa_offset 56
    .cfi_offset r15, -56
    subq $8, %rsp           /* MXCSR, x87 CW: cio__ctx_switch's frame */
    .cfi_def_cfa_offset 64
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movl (%rsp), %eax
    movzwl 4(%rsp), %r8d
    movq %rsp, %rbx         /* callee-saved: fn keeps it if it returns */
    .cfi_def_cfa_register rbx
    movq %rsi, %rsp
    movq %rcx, %rdi
    andl $0xffffffc0, %eax  /* (MXCSR's sticky flags are not compared) */
    xorl $0x1f80, %eax
    xorl $0x037f, %r8d
    orl %r8d, %eax
    jnz 3f
1:
    callq *%rdx
    movq %rbx, %rsp         /* fn returned: back on the caller's stack */
    .cfi_def_cfa_register rsp
    stmxcsr -8(%rsp)        /* fn's control words, below the frame */
    fnstcw -4(%rsp)
    movl -8(%rsp), %eax
    movzwl -4(%rsp), %ecx
    xorl (%rsp), %eax
    xorw 4(%rsp), %cx
    andl $0xffffffc0, %eax
    orl %ecx, %eax
    jnz 4f
2:
    addq $8, %rsp
    .cfi_def_cfa_offset 56
    popq %r15
    .cfi_def_cfa_offset 48
    popq %r14
    .cfi_def_cfa_offset 40
    popq %r13
    .cfi_def_cfa_offset 32
    popq %r12
    .cfi_def_cfa_offset 24
    popq %rbx
    .cfi_def_cfa_offset 16
    popq %rbp
    .cfi_def_cfa_offset 8
    ret
    .cfi_def_cfa_offset 64
3:  /* the defaults for fn (on its stack: the red zone below its top) */
    movl $0x1f80, -8(%rsp)
    movw $0x037f, -4(%rsp)
    ldmxcsr -8(%rsp)
    fldcw -4(%rsp)
    jmp 1b
4:  /* the caller's own back */
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    jmp 2b
    .cfi_endproc
    .size cio__ctx_call, .-cio__ctx_call

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
