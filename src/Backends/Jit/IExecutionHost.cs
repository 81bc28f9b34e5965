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

    /// <summary>Makes the calling host thread ready to run code against <paramref name="memory"/>.</summary>
    void PrepareThread(GuestMemory memory);

    /// <summary>
    /// Called once per CPU after its JIT context is filled in (<paramref name="state"/>, <paramref name="stateBytes"/>
    /// of guest state after the header): a vCPU host maps it and routes call-outs through itself.
    /// </summary>
    void AttachCpu(nint state, int stateBytes);

    /// <summary>Runs translated code from <paramref name="hostCode"/> on the state at <paramref name="state"/> until it exits; returns the exit reason.</summary>
    int Run(nint state, nint hostCode);

    /// <summary>
    /// The engine has just dropped every translation and emptied its code space (the space was
    /// full), while no thread runs JIT code; translation resumes in the same space when this
    /// returns. A host that keeps anything naming block addresses (a table of its own) clears it
    /// here. Addresses of the code space itself stay the same, so mappings of it stay valid.
    /// </summary>
    void TranslationsFlushed()
    {
    }
}
