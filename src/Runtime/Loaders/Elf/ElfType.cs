namespace Isa.Runtime.Loaders.Elf;

/// <summary>e_type: what the file is for. Values outside the named ones are kept as they are.</summary>
public enum ElfType : ushort
{
    /// <summary>ET_NONE.</summary>
    None = 0,

    /// <summary>ET_REL: an object file; section addresses are 0 and symbol values are section offsets.</summary>
    Relocatable = 1,

    /// <summary>ET_EXEC: loaded at the addresses its segments name.</summary>
    Executable = 2,

    /// <summary>ET_DYN: a shared object or a position-independent executable, loaded at a chosen base.</summary>
    SharedObject = 3,

    /// <summary>ET_CORE.</summary>
    Core = 4,
}
