namespace Isa.Runtime.Loaders.Elf;

/// <summary>STT_*: the low nibble of st_info. Other values are kept raw.</summary>
public enum ElfSymbolType : byte
{
    NoType = 0,
    Object = 1,
    Func = 2,
    Section = 3,
    File = 4,
    Common = 5,
    Tls = 6,
    GnuIFunc = 10,
}
