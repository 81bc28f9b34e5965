namespace Isa.Runtime.Loaders.Elf;

/// <summary>p_flags: the access a loaded segment gets (PF_X, PF_W, PF_R); other bits are kept raw.</summary>
[Flags]
public enum ElfSegmentFlags : uint
{
    None = 0,
    Execute = 1,
    Write = 2,
    Read = 4,
}
