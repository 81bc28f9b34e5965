namespace Isa.Runtime.Jit;

/// <summary>
/// A value during translation: an emitter-defined handle (a constant, a host register, a guest
/// register's home ...) with its type. Generated emitter code only passes these along.
/// </summary>
public readonly record struct JitValue(JitValueKind Kind, int Slot, ulong Constant, JitType Type)
{
    public bool IsConstant => Kind == JitValueKind.Constant;
}

/// <summary>What a <see cref="JitValue"/> refers to; the slot's meaning is the emitter's.</summary>
public enum JitValueKind
{
    Constant,
    Temporary,
    Pinned,
    GuestRegister,
    Memory,
    Variable,
    Deferred,
    Dead,
}

/// <summary>A mutable local of spec semantics (assigned on more than one path).</summary>
public readonly record struct JitVariable(int Slot, JitType Type);

/// <summary>A position in the emitted code of one instruction.</summary>
public readonly record struct JitLabel(int Id);

/// <summary>A spec function's extent in the emitter (how many lets and variables existed when it began).</summary>
public readonly record struct JitScope(int Lets, int Variables);
