namespace Isa.Runtime.Jit;

/// <summary>
/// Control-flow shapes that generated frontends build from the emitter's primitives.
/// </summary>
/// <remarks>
/// A conditional expression whose sides may load or trap (only the chosen side runs) is three
/// nested calls, <c>EndConditional(jit, ElseConditional(jit, BeginConditional(jit, c, type), whenTrue), whenFalse)</c>:
/// C# evaluates arguments left to right, so each side is emitted between the calls around it, with
/// no delegate or closure per use (translation allocates nothing per instruction).
/// </remarks>
public static class JitControl
{
    /// <summary>Opens a conditional expression: its result variable, and the then-part follows.</summary>
    public static JitVariable BeginConditional(IJitEmitter jit, JitValue condition, JitType type)
    {
        JitVariable result = jit.NewVariable(type);
        jit.If(condition);
        return result;
    }

    /// <summary>Ends the then-part with its value <paramref name="whenTrue"/>; the else-part follows.</summary>
    public static JitVariable ElseConditional(IJitEmitter jit, JitVariable result, JitValue whenTrue)
    {
        jit.Assign(result, whenTrue);
        jit.Else();
        return result;
    }

    /// <summary>Ends the else-part with its value <paramref name="whenFalse"/>: the value of the whole expression.</summary>
    public static JitValue EndConditional(IJitEmitter jit, JitVariable result, JitValue whenFalse)
    {
        jit.Assign(result, whenFalse);
        jit.EndIf();
        return jit.Read(result);
    }
}
