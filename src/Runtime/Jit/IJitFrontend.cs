namespace Isa.Runtime.Jit;

/// <summary>
/// An ISA's generated translator: emits one guest instruction through an <see cref="IJitEmitter"/>.
/// Instructions whose semantics the JIT lowering does not cover (fused multiply-add, for one) return false,
/// and the execution host runs them on the interpreter.
/// </summary>
public interface IJitFrontend
{
    bool Emit(IJitEmitter emitter, ulong word, ulong pc);

    /// <summary>The hand-written host templates the spec carries (<c>x64 insn { ... }</c>), one per instruction.</summary>
    IReadOnlyList<HostTemplate> Templates { get; }
}

/// <summary>Thrown during translation when a construct cannot be emitted (the host then interprets that instruction).</summary>
public sealed class JitUnsupportedException(string message) : Exception(message);
