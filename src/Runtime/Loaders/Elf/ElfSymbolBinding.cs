namespace Isa.Runtime.Loaders.Elf;

/// <summary>STB_*: the high nibble of st_info. Other values are kept raw.</summary>
public enum ElfSymbolBinding : byte
{
    Local = 0,
    Global = 1,
    Weak = 2,
    GnuUnique = 10,
}
