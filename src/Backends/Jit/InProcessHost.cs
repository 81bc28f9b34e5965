using Isa.Backends.Host;
using Isa.Runtime.Memory;

namespace Isa.Backends.Jit;

/// <summary>Runs translated code on the calling thread: entered through the engine's entry stub, guest memory through GS or R15.</summary>
internal sealed unsafe class InProcessHost(MemoryAddressing addressing, int instructionShift) : IExecutionHost, IDisposable
{
    private readonly LookupTable _jumps = new(instructionShift);
    private readonly List<nint> _data = [];
    private nint _entry;

    public MemoryAddressing Addressing { get; } = addressing;

    IndirectJumps IExecutionHost.Jumps => _jumps;

    void IExecutionHost.Start(JitRuntimeStubs stubs) => _entry = stubs.Entry;

    public void PrepareThread(GuestMemory memory)
    {
        if (Addressing == MemoryAddressing.GsSegment)
        {
            GuestSegment.EnsureGsBase(memory.WindowBase);
        }
    }

    nint IExecutionHost.AllocateData(int bytes)
    {
        nint p = (nint)System.Runtime.InteropServices.NativeMemory.AllocZeroed((nuint)bytes);
        lock (_data)
        {
            _data.Add(p);
        }

        return p;
    }

    public void AttachCpu(nint state, int stateBytes) => _jumps.Attach(state);

    public int Run(nint state, nint hostCode) => ((delegate* unmanaged<nint, nint, int>)_entry)(state, hostCode);

    public void Dispose()
    {
        _jumps.Dispose();
        lock (_data)
        {
            foreach (nint p in _data)
            {
                System.Runtime.InteropServices.NativeMemory.Free((void*)p);
            }

            _data.Clear();
        }
    }
}
