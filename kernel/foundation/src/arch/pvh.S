/* PVH entry (see pvh.rs): from 32-bit protected mode with paging off to
 * `pvh_main` in long mode at the kernel's link address.
 *
 * Entry state (Xen's PVH ABI, as QEMU's loader and qboot/SeaBIOS's pvh.bin
 * give it): flat 32-bit CS/DS/ES/SS, interrupts off, paging off,
 * %ebx = physical address of the hvm_start_info. Nothing else is promised
 * (no stack), so the stub touches only its own .bss.
 * In 32-bit code every address is physical: `sym - KOFF`, where KOFF is
 * the link-minus-load offset checked by kernel/linker.ld.
 */
    .set KOFF, {offset}
    .globl __pvh_kernel_vma_offset
    .set __pvh_kernel_vma_offset, KOFF

    /* XEN_ELFNOTE_PHYS32_ENTRY (18): the physical address of pvh_start32.
     * A 64-bit value: QEMU reads the note's descriptor as a size_t. */
    .pushsection .note.Xen, "a", @note
    .balign 4
    .long 4
    .long 8
    .long 18
    .asciz "Xen"
    .balign 4
    .quad pvh_start32 - KOFF
    .popsection

    .pushsection .text.pvh, "ax", @progbits
    .code32
    .globl pvh_start32
pvh_start32:
    cli
    cld
    mov %ebx, %esi

    /* .bss is zero after QEMU's loader, but not after a reset's re-entry. */
    mov $(__bss_start - KOFF), %edi
    mov $(__bss_end - KOFF), %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb

    /* One page directory of 2 MiB pages for physical 0..1 GiB, reached both
     * from PML4[0] (identity, for the stub and pvh_main's page-table writes)
     * and from PML4[511]/PDPT[510] (0xffffffff80000000: the kernel). */
    mov $(pvh_pdpt_low - KOFF + 0x3), %eax
    mov %eax, (pvh_pml4 - KOFF)
    mov $(pvh_pdpt_high - KOFF + 0x3), %eax
    mov %eax, (pvh_pml4 - KOFF + 511 * 8)
    mov $(pvh_pd - KOFF + 0x3), %eax
    mov %eax, (pvh_pdpt_low - KOFF)
    mov %eax, (pvh_pdpt_high - KOFF + 510 * 8)
    xor %ecx, %ecx
1:  mov %ecx, %eax
    shl $21, %eax
    or $0x83, %eax                      /* present, writable, 2 MiB */
    mov %eax, (pvh_pd - KOFF)(,%ecx,8)
    inc %ecx
    cmp $512, %ecx
    jb 1b

    mov %cr4, %eax
    or $(1 << 5), %eax                  /* PAE */
    mov %eax, %cr4
    mov $(pvh_pml4 - KOFF), %eax
    mov %eax, %cr3
    mov $0xc0000080, %ecx               /* EFER */
    rdmsr
    or $((1 << 8) | (1 << 11)), %eax    /* LME, NXE (as the bootloader sets it) */
    wrmsr
    mov %cr0, %eax
    or $((1 << 31) | (1 << 16) | 1), %eax   /* PG, WP, PE */
    mov %eax, %cr0

    lgdt (pvh_gdt_ptr32 - KOFF)
    ljmp $0x08, $(pvh_start64 - KOFF)

    .code64
pvh_start64:
    mov $0x10, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    xor %eax, %eax
    mov %eax, %fs
    mov %eax, %gs
    movabs $pvh_high64, %rax
    jmp *%rax

pvh_high64:
    /* Now at the link address: the GDT by its virtual address too, since
     * pvh_main drops the identity mapping. */
    lgdt pvh_gdt_ptr64(%rip)
    lea pvh_early_stack_top(%rip), %rsp
    xor %ebp, %ebp
    mov %esi, %edi                      /* zero-extends: start info address */
    call pvh_main
2:  hlt
    jmp 2b
    .popsection

    .pushsection .data.pvh, "aw", @progbits
    .balign 16
pvh_gdt:
    .quad 0
    .quad 0x00af9b000000ffff            /* 0x08: 64-bit code, accessed */
    .quad 0x00cf93000000ffff            /* 0x10: data, accessed */
pvh_gdt_end:
pvh_gdt_ptr32:
    .word pvh_gdt_end - pvh_gdt - 1
    .long pvh_gdt - KOFF
    .balign 8
pvh_gdt_ptr64:
    .word pvh_gdt_end - pvh_gdt - 1
    .quad pvh_gdt
    .popsection

    .pushsection .bss.pvh, "aw", @nobits
    .balign 4096
pvh_pml4:       .skip 4096
pvh_pdpt_low:   .skip 4096
pvh_pdpt_high:  .skip 4096
pvh_pd:         .skip 4096
pvh_early_stack: .skip 32768
pvh_early_stack_top:
    .popsection
