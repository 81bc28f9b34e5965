namespace Isa.Backends.Vcpu;

/// <summary>
/// The system state of a virtual processor that the host sets up for long mode. <see cref="Xcr0"/> is
/// written only when not 0 (XSAVE on: CR4.OSXSAVE), after CR4.
/// </summary>
public struct SpecialRegisters
{
    public SegmentRegister Cs, Ds, Es, Fs, Gs, Ss, Tr, Ldt;
    public DescriptorTableRegister Gdt, Idt;
    public ulong Cr0, Cr2, Cr3, Cr4, Cr8, Efer, ApicBase, Xcr0;
}
