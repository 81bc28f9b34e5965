using Isa.Runtime.Memory;

namespace Isa.Backends.Jit;

/// <summary>
/// Where translated code runs: in this process (<see cref="InProcessHost"/>), or inside a hardware
/// virtual CPU (KVM, WHPX). The translator, the block cache and the generated code are shared; a
/// host decides how guest memory is reached, how a thread enters the code and how exits come back.
/// </summary>
public interface IExecutionHost
{
    MemoryAddressing Addressing { get; }

    /// <summary>How computed jumps in the generated code find their targets here (known before any code is emitted).</summary>
    internal IndirectJumps Jumps { get; }

    /// <summary>The engine's stubs, emitted with <see cref="Jumps"/>, exist: the host learns where to enter and where misses go.</summary>
    internal void Start(JitRuntimeStubs stubs);

    /// <summary>Zeroed memory that the host and the generated code both read and write (counters), freed with the host.</summary>
    internal nint AllocateData(int bytes);

    /// <summary>Makes the calling host thread ready to run code against <paramref name="memory"/>.</summary>
    void PrepareThread(GuestMemory memory);

    /// <summary>
    /// Called once per CPU after its JIT context is filled in (<paramref name="state"/>, <paramref name="stateBytes"/>
    /// of guest state after the header): a vCPU host maps it and routes call-outs through itself.
    /// </summary>
    void AttachCpu(nint state, int stateBytes);

    /// <summary>Runs translated code from <paramref name="hostCode"/> on the state at <paramref name="state"/> until it exits; returns the exit reason.</summary>
    int Run(nint state, nint hostCode);
}
