using System.Runtime.InteropServices;
using Isa.Backends.Jit;
using Isa.Backends.Vcpu;
using Isa.Runtime.Cpu;
using Isa.Runtime.Memory;

namespace Isa.Tests.Backends.Vcpu;

/// <summary>
/// The shared vCPU host's side of a TLB shootdown, on a scripted processor (what KVM and WHPX share): a running
/// vCPU is kicked, the change waits until it left the hypervisor, and it resumes where it was through the flush
/// stub with its registers intact.
/// </summary>
public sealed unsafe class VcpuKickTests : IDisposable
{
    private const ulong Page = GuestMemory.PageSize;
    private readonly GuestMemory _memory = new();
    private readonly CodeBuffer _code = new(1 << 20); // an engine's code space: the host maps it
    private readonly byte* _state = (byte*)NativeMemory.AlignedAlloc((nuint)(2 * Page), 64);
    private readonly ScriptedProcessor _vcpu = new();
    private readonly VcpuHost _host;

    public VcpuKickTests()
    {
        NativeMemory.Clear(_state, (nuint)(2 * Page));
        _memory.Map(0x1_0000, 2 * Page, MemoryPermissions.ReadWrite);
        _host = new VcpuHost(new ScriptedHypervisor(_vcpu), _memory, _code, instructionBytes: 4);
    }

    public void Dispose()
    {
        _host.Dispose();
        _memory.Dispose();
        _code.Dispose();
        NativeMemory.AlignedFree(_state);
    }

    private nint State => (nint)(_state + CpuStateBlock.HeaderBytes);

    [Fact]
    public void AnUnmapKicksTheRunningVcpuWaitsForItAndItResumesThroughTheFlushStub()
    {
        _host.PrepareThread(_memory);
        var events = new List<string>();
        Thread? unmapper = null;
        ulong interruptedRip = 0, interruptedRsp = 0;
        _vcpu.Script.Enqueue(() =>
        {
            // Another thread unmaps a page while this vCPU runs: it must be kicked, and the unmap must wait for it.
            unmapper = new Thread(() =>
            {
                _memory.Unmap(0x1_0000, Page);
                lock (events)
                {
                    events.Add("unmapped");
                }
            });
            unmapper.Start();
            SpinWait.SpinUntil(() => _vcpu.Cancels > 0);
            Thread.Sleep(50); // the unmap cannot finish while the vCPU is inside: give it the chance to be wrong
            lock (events)
            {
                events.Add("left the vCPU");
            }

            // Where the kick stopped the code: somewhere in a block, with its own stack pointer.
            interruptedRip = 0x7f00_1234_5678;
            interruptedRsp = _vcpu.Registers[GeneralRegisters.Rsp] - 64;
            _vcpu.Registers.Rip = interruptedRip;
            _vcpu.Registers[GeneralRegisters.Rsp] = interruptedRsp;
            _vcpu.Registers[12] = 0x5eed;
            return new VcpuExit(VcpuExitKind.Canceled);
        });
        _vcpu.Script.Enqueue(() => VcpuExit.Out(VcpuProtocol.ExitPort, 4, 7));

        int reason = _host.Run(State, unchecked((nint)0x7f00_0000_1000));
        unmapper!.Join();

        Assert.Equal(7, reason);
        Assert.Equal(["left the vCPU", "unmapped"], events);

        // The second run resumed through the flush stub (push rax; mov rax, cr3; mov cr3, rax; pop rax; ret 128)
        // with the interrupted RIP as its return address below the red zone, everything else unchanged.
        GeneralRegisters resumed = _vcpu.LastSet;
        byte[] stub = new ReadOnlySpan<byte>((void*)resumed.Rip, 9).ToArray();
        Assert.Equal(new byte[] { 0x50, 0x0F, 0x20, 0xD8, 0x0F, 0x22, 0xD8, 0x58, 0xC2 }, stub);
        Assert.Equal(VcpuStubs.ResumeRedZone, *(ushort*)(resumed.Rip + 9));
        Assert.Equal(interruptedRsp - VcpuStubs.ResumeRedZone - 8, resumed[GeneralRegisters.Rsp]);
        Assert.Equal(interruptedRip, *(ulong*)resumed[GeneralRegisters.Rsp]);
        Assert.Equal(0x5eedUL, resumed[12]);
    }

    [Fact]
    public void AVcpuOutsideTheHypervisorIsNotKicked()
    {
        _host.PrepareThread(_memory);
        _vcpu.Script.Enqueue(() => VcpuExit.Out(VcpuProtocol.ExitPort, 4, 1));
        Assert.Equal(1, _host.Run(State, unchecked((nint)0x7f00_0000_1000)));

        _memory.Unmap(0x1_0000, Page);

        Assert.Equal(0, _vcpu.Cancels);
    }

    [Fact]
    public void AfterACallOutTheCallOutStubFlushesInsteadOfMovingRip()
    {
        _host.PrepareThread(_memory);
        *(nint*)(State + JitContext.CallOutFunction) = (nint)(delegate* unmanaged<nint, long, int>)&UnmapDuringCallOut;
        _host.AttachCpu(State, 64);
        *(nint*)(State + JitContext.CallOutHandle) = GCHandle.ToIntPtr(GCHandle.Alloc(_memory));
        _vcpu.Script.Enqueue(() => VcpuExit.Out(VcpuProtocol.CallOutPort, 4, 3));
        _vcpu.Script.Enqueue(() => VcpuExit.Out(VcpuProtocol.ExitPort, 4, 2));
        int sets = -1;
        _vcpu.OnRun = () => sets = sets < 0 ? _vcpu.Sets : sets;

        Assert.Equal(2, _host.Run(State, unchecked((nint)0x7f00_0000_1000)));

        // The host may still owe the hypervisor the completion of the out: RIP stays, the stub flushes.
        Assert.Equal(sets, _vcpu.Sets);
        Assert.Equal(1, *(int*)(State + JitContext.VcpuFlushTlb));
        GCHandle.FromIntPtr(*(nint*)(State + JitContext.CallOutHandle)).Free();
    }

    [UnmanagedCallersOnly]
    private static int UnmapDuringCallOut(nint handle, long count)
    {
        ((GuestMemory)GCHandle.FromIntPtr(handle).Target!).Unmap(0x1_1000, Page);
        return (int)count;
    }

    private sealed class ScriptedHypervisor(IVirtualProcessor processor) : IHypervisor
    {
        public string Name => "scripted";

        public int PhysicalAddressBits => 46;

        public ulong SupportedXcr0 => 0;

        public void MapMemory(ulong guestPhysical, nint host, ulong bytes, bool writable)
        {
        }

        public void UnmapMemory(ulong guestPhysical, ulong bytes)
        {
        }

        public IVirtualProcessor CreateProcessor() => processor;

        public void Dispose()
        {
        }
    }

    /// <summary>Runs by dequeuing scripted exits; registers are kept as set.</summary>
    private sealed class ScriptedProcessor : IVirtualProcessor
    {
        public GeneralRegisters Registers;

        public Queue<Func<VcpuExit>> Script { get; } = new();

        public Action? OnRun { get; set; }

        public GeneralRegisters LastSet { get; private set; }

        public int Sets { get; private set; }

        private int _cancels;

        public int Cancels => Volatile.Read(ref _cancels);

        public void GetRegisters(ref GeneralRegisters registers) => registers = Registers;

        public void SetRegisters(in GeneralRegisters registers)
        {
            Registers = registers;
            LastSet = registers;
            Sets++;
        }

        public void GetSpecialRegisters(ref SpecialRegisters registers)
        {
        }

        public void SetSpecialRegisters(in SpecialRegisters registers)
        {
        }

        public VcpuExit Run()
        {
            OnRun?.Invoke();
            return Script.Dequeue()();
        }

        public void Cancel() => Interlocked.Increment(ref _cancels);

        public void Dispose()
        {
        }
    }
}
