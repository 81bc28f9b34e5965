using Iced.Intel;

namespace Isa.Backends.Jit;

/// <summary>
/// How a computed jump (an indirect jump or a return) in JIT code finds the host code of its target,
/// chosen by the execution host: in process a direct-mapped lookup table probed inline
/// (<see cref="LookupTable"/>); inside a vCPU a block table at GS base with an entry for every guest
/// instruction address. The engine tells it about blocks (under its lock: one writer at a time),
/// while JIT code on any thread reads it.
/// </summary>
internal abstract class IndirectJumps
{
    /// <summary>
    /// Emits the jump to the guest PC in <paramref name="target"/> (a 32-bit register other than ECX,
    /// left unchanged), which becomes the state's PC: into the target's code when the table knows
    /// it, else to <paramref name="miss"/> (which must then exit with <c>ExitReason.Lookup</c>) or
    /// straight to the engine's lookup-miss stub; the dispatcher sets NextPc on that exit. Blocks
    /// pass the register that holds their computed target, so the hit path neither stores nor
    /// reloads NextPc. Returns whether <paramref name="miss"/> is used.
    /// </summary>
    public abstract bool EmitJump(Assembler a, AssemblerRegister32 target, int pcOffset, Label miss);

    /// <summary>A CPU's context is filled in: the table may need a field of it.</summary>
    public virtual void Attach(nint state)
    {
    }

    /// <summary>A block was translated at <paramref name="pc"/>.</summary>
    public abstract void Translated(ulong pc, nint code);

    /// <summary>A computed jump to <paramref name="pc"/> missed, and the block there is <paramref name="code"/>.</summary>
    public abstract void Missed(ulong pc, nint code);

    /// <summary>The block at <paramref name="pc"/> is gone: no jump may reach <paramref name="code"/> through the table any more.</summary>
    public abstract void Invalidated(ulong pc, nint code);

    /// <summary>Every translation is gone (the code space was full and is reused): every entry misses again. No thread runs JIT code meanwhile.</summary>
    public abstract void Flushed();
}
