using Isa.Runtime.Cpu;

namespace Isa.Runtime.Jit;

/// <summary>
/// What generated JIT frontends call to translate one guest instruction: a small typed vocabulary
/// mirroring the semantics IR. A backend implements it for one host (the x64 emitter on Iced);
/// constants fold inside the emitter, so field-dependent choices (a write to the zero register, an
/// always-taken branch) cost nothing at run time. Conditions that fold to a constant skip the dead
/// path entirely.
/// </summary>
public interface IJitEmitter
{
    /// <summary>True if guest memory is big-endian (loads and stores swap).</summary>
    bool BigEndian { get; }

    JitValue Constant(ulong value, JitType type);

    /// <summary>Reads a register; <paramref name="index"/> must fold to a constant.</summary>
    JitValue ReadRegister(int file, JitValue index);

    void WriteRegister(int file, JitValue index, JitValue value);

    JitValue Unary(JitUnary op, JitValue operand, JitType type);

    /// <summary>An arithmetic (result of <paramref name="type"/>) or comparison (bool) of two values of one type.</summary>
    JitValue Binary(JitBinary op, JitValue left, JitValue right, JitType type);

    /// <summary>Truncation or extension by the source's signedness, to <paramref name="type"/>.</summary>
    JitValue Convert(JitValue operand, JitType type);

    /// <summary>Bits <paramref name="high"/>..<paramref name="low"/> of a value, as an unsigned value.</summary>
    JitValue Slice(JitValue operand, int high, int low);

    /// <summary>A conditional expression whose two sides were both evaluated (they have no side effects).</summary>
    JitValue Select(JitValue condition, JitValue whenTrue, JitValue whenFalse);

    JitValue Intrinsic(JitIntrinsic op, JitValue operand, JitValue amount, JitType type);

    /// <summary>A zero-extended load of 1, 2, 4 or 8 bytes in guest byte order.</summary>
    JitValue Load(int bytes, JitValue address);

    void Store(int bytes, JitValue address, JitValue value);

    /// <summary>An atomic compare-and-swap of guest memory (values in guest byte order as loads see them); true if it stored.</summary>
    JitValue CompareAndSwap(int bytes, JitValue address, JitValue expected, JitValue value);

    /// <summary>A jump: the next PC, or the pending target after the delay slot on delay-slot ISAs.</summary>
    void Jump(JitValue target);

    /// <summary>Skips the delay slot (a likely branch not taken).</summary>
    void NullifyDelaySlot();

    /// <summary>A precise trap: the guest stops at this instruction with <paramref name="kind"/>.</summary>
    void Raise(TrapKind kind, JitValue value);

    /// <summary>A precise trap when <paramref name="condition"/> holds (the common <c>if (...) raise</c>).</summary>
    void RaiseIf(JitValue condition, TrapKind kind, JitValue value);

    /// <summary>
    /// An IEEE operation on bit patterns (u32 for <see cref="JitFloatFormat.Single"/>, u64 for Double)
    /// rounded per <paramref name="roundingMode"/> (a <c>RoundingMode</c> value); its exception flags
    /// join the instruction's (<see cref="FloatFlags"/>). NaN results follow the interpreter's rules.
    /// </summary>
    JitValue FloatArithmetic(JitFloatOp op, JitFloatFormat format, JitValue left, JitValue right, JitValue roundingMode);

    /// <summary>A quiet comparison (no flag) of two values of one format; a bool.</summary>
    JitValue FloatCompare(JitFloatCompare op, JitFloatFormat format, JitValue left, JitValue right);

    /// <summary>Single to double (exact) or double to single (rounded), with their flags.</summary>
    JitValue FloatToFloat(JitValue operand, JitFloatFormat to, JitValue roundingMode);

    /// <summary>An integer (its type says signed or not, and the width) to a float, rounded, with its flags.</summary>
    JitValue IntegerToFloat(JitValue operand, JitFloatFormat to, JitValue roundingMode);

    /// <summary>
    /// A float to an integer of <paramref name="type"/>, rounded: NaN and out-of-range operands saturate
    /// and raise Invalid (as <c>GuestFloat.ToInt32</c> and its siblings do).
    /// </summary>
    JitValue FloatToInteger(JitValue operand, JitFloatFormat from, JitType type, JitValue roundingMode);

    /// <summary>Starts an instruction's exception flags at none (the spec's <c>fp_clear</c>; each floating-point instruction begins so).</summary>
    void ClearFloatFlags();

    /// <summary>The instruction's exception flags so far, as <c>FloatFlags</c> bits (u32).</summary>
    JitValue FloatFlags();

    /// <summary>Adds <c>FloatFlags</c> bits to the instruction's exception flags.</summary>
    void RaiseFloatFlags(JitValue flags);

    /// <summary>Keeps a value for several uses (a spec <c>let</c>): later writes to its sources do not change it.</summary>
    JitValue Let(JitValue value);

    /// <summary>Opens a spec function's scope: <see cref="EndScope"/> gives back the registers of its lets and variables.</summary>
    JitScope BeginScope();

    /// <summary>
    /// Closes a scope: the lets and variables made since <paramref name="scope"/> are dead, except what
    /// <paramref name="result"/> (the function's return value, or a dead value for none) refers to.
    /// </summary>
    JitValue EndScope(JitScope scope, JitValue result);

    JitVariable NewVariable(JitType type);

    void Assign(JitVariable variable, JitValue value);

    JitValue Read(JitVariable variable);

    void If(JitValue condition);

    void Else();

    void EndIf();

    JitLabel NewLabel();

    void Goto(JitLabel label);

    void Bind(JitLabel label);

    /// <summary>True if this emitter runs <paramref name="template"/>: it is for the template's host and the CPU has its features.</summary>
    bool Supports(HostTemplate template);

    /// <summary>
    /// Emits a spec's hand-written host template for the whole instruction: <paramref name="inputs"/>
    /// are the values its input placeholders name, <paramref name="outputs"/> the guest registers it
    /// writes (writes to hardwired registers are dropped). Every read sees the values from before
    /// the instruction. Only after <see cref="Supports"/> said yes.
    /// </summary>
    void Template(HostTemplate template, ReadOnlySpan<JitValue> inputs, ReadOnlySpan<JitRegister> outputs);
}
