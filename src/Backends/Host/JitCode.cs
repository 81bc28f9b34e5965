namespace Isa.Backends.Host;

/// <summary>
/// The process-wide code memory all JIT instances allocate from, so the fault handler watches one
/// fixed range. Each JIT engine takes a chunk of it (a <see cref="CodeSpace"/>) and gives it back
/// when disposed. Created on first use; it lives as long as the process.
/// </summary>
public static class JitCode
{
    /// <summary>16 GiB of address space (64 engines' default code spaces at once); only the pages written cost memory.</summary>
    public const long SharedCapacity = 16L << 30;

    private static readonly Lazy<ExecutableMemory> s_shared = new(() => new ExecutableMemory(SharedCapacity, shared: true));

    public static ExecutableMemory Shared => s_shared.Value;
}
