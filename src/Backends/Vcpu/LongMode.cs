namespace Isa.Backends.Vcpu;

/// <summary>
/// The system state of a vCPU running JIT code: 64-bit long mode at CPL 0, paging through the host's
/// tables, a flat GDT (null, code 0x08, data 0x10, a 64-bit TSS at 0x18), an IDT, FS base = the
/// guest window and GS base = the block table. <see cref="WriteTables"/> lays the GDT, TSS and IDT
/// out in one host page that the vCPU sees at the same virtual address.
/// </summary>
public static class LongMode
{
    public const ushort CodeSelector = 0x08, DataSelector = 0x10, TssSelector = 0x18;

    public const int GdtOffset = 0, GdtBytes = 0x28, TssOffset = 0x80, TssBytes = 0x68, IdtOffset = 0x800;

    /// <summary>Exception vectors 0-31 have gates; nothing else can arrive (interrupts stay disabled).</summary>
    public const int Vectors = 32;

    public const ulong Cr0ProtectionEnable = 1, Cr0MonitorCoprocessor = 2, Cr0ExtensionType = 1 << 4, Cr0NumericError = 1 << 5;
    public const ulong Cr0WriteProtect = 1 << 16, Cr0Paging = 1UL << 31;
    public const ulong Cr4Pae = 1 << 5, Cr4OsFxsr = 1 << 9, Cr4OsXmmExcpt = 1 << 10, Cr4OsXsave = 1 << 18;

    /// <summary>XCR0's state components: the JIT's code uses the x87, SSE and AVX state (VEX-encoded FMA and BMI need AVX enabled).</summary>
    public const ulong Xcr0X87 = 1, Xcr0Sse = 2, Xcr0Avx = 4;

    public const ulong EferSyscall = 1, EferLongModeEnable = 1 << 8, EferLongModeActive = 1 << 10, EferNoExecute = 1 << 11;

    public static readonly SegmentRegister Code = new(0, 0xFFFF_FFFF, CodeSelector,
        SegmentRegister.Executable | SegmentRegister.Writable | SegmentRegister.Accessed | SegmentRegister.CodeOrData | SegmentRegister.Present | SegmentRegister.Long | SegmentRegister.Granularity);

    public static readonly SegmentRegister Data = new(0, 0xFFFF_FFFF, DataSelector,
        SegmentRegister.Writable | SegmentRegister.Accessed | SegmentRegister.CodeOrData | SegmentRegister.Present | SegmentRegister.DefaultBig | SegmentRegister.Granularity);

    /// <summary>Fills the system page at <paramref name="page"/> (its vCPU virtual address too): GDT, TSS, and IDT gates to <paramref name="vectorHandlers"/>.</summary>
    public static unsafe void WriteTables(nint page, ReadOnlySpan<nint> vectorHandlers)
    {
        if (vectorHandlers.Length != Vectors)
        {
            throw new ArgumentException($"expected {Vectors} exception handlers", nameof(vectorHandlers));
        }

        var p = (byte*)page;
        new Span<byte>(p, 4096).Clear();
        var gdt = (ulong*)(p + GdtOffset);
        gdt[CodeSelector / 8] = Descriptors.Segment(Code);
        gdt[DataSelector / 8] = Descriptors.Segment(Data);
        (gdt[TssSelector / 8], gdt[(TssSelector / 8) + 1]) = Descriptors.System(Tss(page));

        // The TSS's I/O bitmap offset points past its end: no bitmap.
        *(ushort*)(p + TssOffset + 0x66) = TssBytes;
        var idt = (ulong*)(p + IdtOffset);
        for (int v = 0; v < Vectors; v++)
        {
            (idt[2 * v], idt[(2 * v) + 1]) = Descriptors.InterruptGate((ulong)vectorHandlers[v], CodeSelector);
        }
    }

    /// <summary>
    /// The XCR0 a vCPU runs with, from the state components the hypervisor lets it enable
    /// (<see cref="IHypervisor.SupportedXcr0"/>): x87, SSE and AVX where allowed; 0 (XSAVE off)
    /// without the x87 or SSE bit, which every valid XCR0 with SSE state has.
    /// </summary>
    public static ulong Xcr0(ulong supported)
    {
        if ((supported & (Xcr0X87 | Xcr0Sse)) != (Xcr0X87 | Xcr0Sse))
        {
            return 0;
        }

        return supported & (Xcr0X87 | Xcr0Sse | Xcr0Avx);
    }

    /// <summary>Whether VEX-encoded instructions run with this XCR0 (they raise #UD unless the SSE and AVX state are enabled).</summary>
    public static bool HasAvxState(ulong xcr0) => (xcr0 & (Xcr0Sse | Xcr0Avx)) == (Xcr0Sse | Xcr0Avx);

    /// <summary>
    /// The special registers of a vCPU using the tables at <paramref name="tablesPage"/> and the page tables at
    /// <paramref name="cr3"/>; with <paramref name="xcr0"/> (from <see cref="Xcr0"/>) not 0, XSAVE is on (CR4.OSXSAVE).
    /// </summary>
    public static SpecialRegisters Registers(nint tablesPage, ulong cr3, ulong fsBase, ulong gsBase, ulong xcr0 = 0)
    {
        var s = new SpecialRegisters
        {
            Cs = Code,
            Ds = Data,
            Es = Data,
            Ss = Data,
            Fs = Data with { Base = fsBase },
            Gs = Data with { Base = gsBase },
            Tr = Tss(tablesPage),
            Ldt = new SegmentRegister(0, 0xFFFF, 0, SegmentRegister.Unusable | 2 /* LDT type */ | SegmentRegister.Present),
            Gdt = new DescriptorTableRegister((ulong)tablesPage + GdtOffset, GdtBytes - 1),
            Idt = new DescriptorTableRegister((ulong)tablesPage + IdtOffset, (Vectors * 16) - 1),
            Cr0 = Cr0ProtectionEnable | Cr0MonitorCoprocessor | Cr0ExtensionType | Cr0NumericError | Cr0WriteProtect | Cr0Paging,
            Cr3 = cr3,
            Cr4 = Cr4Pae | Cr4OsFxsr | Cr4OsXmmExcpt | (xcr0 != 0 ? Cr4OsXsave : 0),
            Xcr0 = xcr0,
            Efer = EferSyscall | EferLongModeEnable | EferLongModeActive | EferNoExecute,
        };
        return s;
    }

    private static SegmentRegister Tss(nint tablesPage) =>
        new((ulong)tablesPage + TssOffset, TssBytes - 1, TssSelector, SegmentRegister.BusyTss64 | SegmentRegister.Present);
}
