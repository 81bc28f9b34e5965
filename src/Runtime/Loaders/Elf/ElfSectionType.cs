namespace Isa.Runtime.Loaders.Elf;

/// <summary>sh_type. Processor-specific values are not named (they overlap across machines) and stay raw.</summary>
public enum ElfSectionType : uint
{
    Null = 0,
    ProgBits = 1,
    SymTab = 2,
    StrTab = 3,
    Rela = 4,
    Hash = 5,
    Dynamic = 6,
    Note = 7,
    NoBits = 8,
    Rel = 9,
    ShLib = 10,
    DynSym = 11,
    InitArray = 14,
    FiniArray = 15,
    PreinitArray = 16,
    Group = 17,
    SymTabShndx = 18,
    GnuAttributes = 0x6fff_fff5,
    GnuHash = 0x6fff_fff6,
    GnuVerdef = 0x6fff_fffd,
    GnuVerneed = 0x6fff_fffe,
    GnuVersym = 0x6fff_ffff,
}
