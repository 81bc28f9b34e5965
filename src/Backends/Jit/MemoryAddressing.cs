namespace Isa.Backends.Jit;

/// <summary>How JIT code reaches the guest's 4 GiB window.</summary>
public enum MemoryAddressing
{
    /// <summary>GS base = the window; every access is a gs: operand with 32-bit addressing, so it wraps inside the window.</summary>
    GsSegment,

    /// <summary>A pinned host register (R15) holds the window base; addresses are 32-bit values added to it (hosts where GS is taken).</summary>
    BaseRegister,

    /// <summary>FS base = the window, as <see cref="GsSegment"/>: inside a vCPU, where both segment bases are the host's (GS is the block table).</summary>
    FsSegment,
}
