namespace Isa.Runtime.Loaders.Elf;

/// <summary>
/// e_machine values the project meets. <see cref="ElfFile.Machine"/> stays a raw number because the
/// registry is open-ended; these constants only keep magic numbers out of callers.
/// </summary>
public static class ElfMachine
{
    public const ushort None = 0;
    public const ushort Sparc = 2;
    public const ushort X86 = 3;
    public const ushort M68k = 4;
    public const ushort Mips = 8;
    public const ushort MipsRs3Le = 10;
    public const ushort PowerPC = 20;
    public const ushort PowerPC64 = 21;
    public const ushort S390 = 22;
    public const ushort Arm = 40;
    public const ushort SuperH = 42;
    public const ushort SparcV9 = 43;
    public const ushort IA64 = 50;
    public const ushort X86_64 = 62;
    public const ushort AArch64 = 183;
    public const ushort RiscV = 243;
    public const ushort LoongArch = 258;
}
