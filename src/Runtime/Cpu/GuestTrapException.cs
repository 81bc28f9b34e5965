namespace Isa.Runtime.Cpu;

/// <summary>
/// A trap raised inside a spec function (an address error in a load helper, say). Instruction
/// handlers return their traps; a function cannot, so it throws and the engine catches it.
/// </summary>
public sealed class GuestTrapException(TrapKind kind, ulong value) : Exception($"guest trap {kind} (0x{value:x})")
{
    public TrapKind Kind { get; } = kind;

    public ulong Value { get; } = value;
}
