namespace Isa.Runtime.Loaders.Elf;

/// <summary>
/// p_type. Processor- and OS-specific values (MIPS ABI flags, RISC-V attributes, ...) share numbers
/// across machines, so they are not named here and stay raw values of this enum.
/// </summary>
public enum ElfSegmentType : uint
{
    Null = 0,
    Load = 1,
    Dynamic = 2,
    Interp = 3,
    Note = 4,
    ShLib = 5,
    Phdr = 6,
    Tls = 7,
    GnuEhFrame = 0x6474_e550,
    GnuStack = 0x6474_e551,
    GnuRelro = 0x6474_e552,
    GnuProperty = 0x6474_e553,
}
