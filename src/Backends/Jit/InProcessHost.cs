using Isa.Backends.Host;
using Isa.Runtime.Memory;

namespace Isa.Backends.Jit;

/// <summary>Runs translated code on the calling thread: entered through the engine's entry stub, guest memory through GS or R15.</summary>
internal sealed unsafe class InProcessHost(nint entry, MemoryAddressing addressing) : IExecutionHost
{
    public MemoryAddressing Addressing { get; } = addressing;

    public void PrepareThread(GuestMemory memory)
    {
        if (Addressing == MemoryAddressing.GsSegment)
        {
            GuestSegment.EnsureGsBase(memory.WindowBase);
        }
    }

    public void AttachCpu(nint state, int stateBytes)
    {
    }

    public int Run(nint state, nint hostCode) => ((delegate* unmanaged<nint, nint, int>)entry)(state, hostCode);
}
