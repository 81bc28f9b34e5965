namespace Isa.Runtime.Jit;

/// <summary>Control-flow shapes that generated frontends build from the emitter's primitives.</summary>
public static class JitControl
{
    /// <summary>A conditional expression whose sides may load or trap: only the chosen side runs.</summary>
    public static JitValue Conditional(IJitEmitter jit, JitValue condition, JitType type, Func<JitValue> whenTrue, Func<JitValue> whenFalse)
    {
        JitVariable result = jit.NewVariable(type);
        jit.If(condition);
        jit.Assign(result, whenTrue());
        jit.Else();
        jit.Assign(result, whenFalse());
        jit.EndIf();
        return jit.Read(result);
    }
}
