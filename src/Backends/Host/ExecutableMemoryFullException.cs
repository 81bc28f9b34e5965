namespace Isa.Backends.Host;

/// <summary>
/// An <see cref="ExecutableMemory"/> has no room for an allocation: the JIT resets it (dropping all
/// translations) and translates again.
/// </summary>
public sealed class ExecutableMemoryFullException(int size, long used, long capacity)
    : OutOfMemoryException($"JIT code memory is full: {size} bytes requested, {used} of {capacity} used (reset it)")
{
}
