using System.Runtime.InteropServices;
using Iced.Intel;
using Isa.Backends.Vcpu;
using Isa.Backends.Vcpu.Kvm;
using static Iced.Intel.AssemblerRegisters;

namespace Isa.Vcpu.Tests;

/// <summary>The shared long-mode set-up (page tables, GDT, TSS, IDT, segments) in a real KVM vCPU, with hand-written code.</summary>
public sealed unsafe class KvmLongModeTests : IDisposable
{
    private const int Pages = 64;
    private readonly byte* _memory = (byte*)NativeMemory.AlignedAlloc(Pages * 4096, 4096);

    public KvmLongModeTests() => NativeMemory.Clear(_memory, Pages * 4096);

    public void Dispose() => NativeMemory.AlignedFree(_memory);

    // Page 0: system tables; 1: code; 2: data (FS base); 3: stack; 8..: page-table pool. Guest-physical = 1 MiB + offset; virtual = host address.
    private nint Page(int n) => (nint)(_memory + (n * 4096));

    private (IHypervisor Vm, IVirtualProcessor Cpu) Start(Action<Assembler> code, bool xsave = false, bool syncRegisters = true)
    {
        IHypervisor vm = KvmHypervisor.Open(syncRegisters);
        const ulong physical = 0x10_0000;
        vm.MapMemory(physical, (nint)_memory, Pages * 4096, writable: true);
        var tables = new PageTableBuilder(Page(8), physical + (8 * 4096), Pages - 8);
        for (int n = 0; n < 4; n++)
        {
            tables.Map((ulong)Page(n), physical + (ulong)(n * 4096), 4096, PageFlags.Present | PageFlags.Writable);
        }

        var a = new Assembler(64);
        var vectors = new Label[LongMode.Vectors];
        for (int v = 0; v < vectors.Length; v++)
        {
            vectors[v] = a.CreateLabel();
            a.Label(ref vectors[v]);
            if (!VcpuProtocol.HasErrorCode(v))
            {
                a.push(0);
            }

            a.push(v);
            a.hlt();
        }

        Label start = a.CreateLabel();
        a.Label(ref start);
        code(a);
        var stream = new MemoryStream();
        AssemblerResult result = a.Assemble(new StreamCodeWriter(stream), (ulong)Page(1), BlockEncoderOptions.ReturnNewInstructionOffsets);
        stream.ToArray().CopyTo(new Span<byte>((void*)Page(1), 4096));
        LongMode.WriteTables(Page(0), vectors.Select(l => (nint)result.GetLabelRIP(l)).ToArray());

        IVirtualProcessor cpu = vm.CreateProcessor();
        SpecialRegisters s = LongMode.Registers(Page(0), tables.Root, (ulong)Page(2), 0, xsave ? LongMode.Xcr0(vm.SupportedXcr0) : 0);
        cpu.SetSpecialRegisters(in s);
        var r = default(GeneralRegisters);
        r.Rip = result.GetLabelRIP(start);
        r.Rflags = GeneralRegisters.ReservedFlag;
        r[GeneralRegisters.Rsp] = (ulong)Page(4);
        cpu.SetRegisters(in r);
        return (vm, cpu);
    }

    [KvmFact]
    public void FsOperandsReadTheWindowAndOutExitsWithTheValue()
    {
        *(uint*)(Page(2) + 0x10) = 0xcafe_babe;
        *(uint*)(Page(2) + 0x20) = 0x1234_5678;
        (IHypervisor vm, IVirtualProcessor cpu) = Start(a =>
        {
            a.mov(edx, 0x10);
            a.mov(eax, __dword_ptr.fs[edx]);
            a.mov(edx, 0xE0);
            a.@out(dx, eax);
            a.mov(edx, 0xFFFF_FFF0);
            a.mov(eax, __dword_ptr.fs[edx + 0x30]); // wraps at 4 GiB: fs.base + 0x20
            a.mov(edx, 0xE1);
            a.@out(dx, eax);
            a.hlt();
        });
        using (vm)
        using (cpu)
        {
            Assert.Equal(VcpuExit.Out(0xE0, 4, 0xcafe_babe), cpu.Run());
            Assert.Equal(VcpuExit.Out(0xE1, 4, 0x1234_5678), cpu.Run());
            Assert.Equal(VcpuExitKind.Halt, cpu.Run().Kind);

            var s = default(SpecialRegisters);
            cpu.GetSpecialRegisters(ref s);
            Assert.Equal((ulong)Page(2), s.Fs.Base);
            Assert.True(s.Cs.IsLong);
            Assert.Equal(LongMode.EferLongModeActive, s.Efer & LongMode.EferLongModeActive);
        }
    }

    /// <summary>
    /// The host-call round trip the JIT's call-outs use (an <c>out</c>, the host answers through
    /// memory, the vCPU goes on), many times; then the same with the general registers read and written at
    /// each exit (what an exit to the dispatcher and the next entry cost in register transfers), through
    /// <c>kvm_run</c> (KVM_CAP_SYNC_REGS) or through KVM_GET/SET_REGS. Prints what one costs here (inside
    /// the CI's emulated VM that is the cost under nested emulation, not on hardware).
    /// </summary>
    [KvmFact]
    public void HostCallsRoundTripThroughPortExits()
    {
        // Warm up (.NET compiles the host's paths, slowly under emulation), then alternate the paths so that
        // each figure is the median of runs made in the same minutes: the machine's load varies.
        HostCall(syncRegisters: true, transferRegisters: true);
        HostCall(syncRegisters: false, transferRegisters: true);
        bool[] both = [true, false];
        var figures = both.SelectMany(sync => both.Select(transfer => (sync, transfer))).ToDictionary(k => k, _ => new List<double>());
        for (int round = 0; round < 3; round++)
        {
            foreach ((bool sync, bool transfer) k in figures.Keys)
            {
                figures[k].Add(HostCall(k.sync, k.transfer));
            }
        }

        double Median(bool sync, bool transfer) => figures[(sync, transfer)].Order().ElementAt(1);
        foreach (bool sync in both)
        {
            string path = sync ? "sync regs" : "GET/SET_REGS ioctls";
            Console.WriteLine($"kvm ({path}): one host call (out -> host -> resume): {Median(sync, false):0.0} us; with the registers read and written: {Median(sync, true):0.0} us (median of 3, in this environment)");
        }
    }

    private double HostCall(bool syncRegisters, bool transferRegisters)
    {
        const int calls = 2000;
        (IHypervisor vm, IVirtualProcessor cpu) = Start(
            a =>
            {
                Label loop = a.CreateLabel();
                a.mov(ecx, calls);
                a.xor(r8d, r8d);
                a.mov(rsi, (ulong)Page(2));
                a.Label(ref loop);
                a.mov(eax, ecx);
                a.mov(edx, (uint)VcpuProtocol.CallOutPort);
                a.@out(dx, eax);
                a.add(r8d, __dword_ptr[rsi]);
                a.dec(ecx);
                a.jnz(loop);
                a.hlt();
            },
            syncRegisters: syncRegisters);
        using (vm)
        using (cpu)
        {
            Assert.Equal(syncRegisters, ((KvmHypervisor)vm).SyncRegisters);
            var r = default(GeneralRegisters);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            long expected = 0;
            VcpuExit exit;
            while ((exit = cpu.Run()).Kind == VcpuExitKind.PortIo)
            {
                Assert.Equal(VcpuProtocol.CallOutPort, exit.Port);
                *(uint*)Page(2) = exit.Data * 3;
                expected += exit.Data * 3;
                if (transferRegisters)
                {
                    cpu.GetRegisters(ref r);
                    r[GeneralRegisters.Rdi] = exit.Data; // a register the code does not use, changed by the host
                    cpu.SetRegisters(in r);
                }
            }

            clock.Stop();
            Assert.Equal(VcpuExitKind.Halt, exit.Kind);
            cpu.GetRegisters(ref r);
            Assert.Equal((ulong)(uint)expected, r[8]);
            Assert.Equal(transferRegisters ? 1UL : 0UL, r[GeneralRegisters.Rdi]); // the last call's count: the host's writes arrived
            return clock.Elapsed.TotalMicroseconds / calls;
        }
    }

    /// <summary>With XCR0 = x87|SSE|AVX and CR4.OSXSAVE, the VEX-encoded instructions the JIT uses (FMA, BMI1, BMI2) run.</summary>
    [KvmFact]
    public void VexEncodedInstructionsRunWithTheAvxStateOn()
    {
        var data = (double*)Page(2);
        (data[0], data[1], data[2]) = (1.5, 2.0, 0.25);
        (IHypervisor vm, IVirtualProcessor cpu) = Start(a =>
        {
            a.mov(rsi, (ulong)Page(2));
            a.vmovsd(xmm0, __qword_ptr[rsi]);
            a.vmovsd(xmm1, __qword_ptr[rsi + 8]);
            a.vmovsd(xmm2, __qword_ptr[rsi + 16]);
            a.vfmadd231sd(xmm2, xmm0, xmm1);
            a.vmovsd(__qword_ptr[rsi + 24], xmm2);
            a.mov(eax, 0xF0F0);
            a.mov(ecx, 0xFF00);
            a.andn(r10d, eax, ecx);
            a.mov(ebx, 1);
            a.mov(r8d, 5);
            a.shlx(r9d, ebx, r8d);
            a.mov(edx, (uint)VcpuProtocol.ExitPort);
            a.@out(dx, eax);
        }, xsave: true);
        using (vm)
        using (cpu)
        {
            Assert.True(LongMode.HasAvxState(LongMode.Xcr0(vm.SupportedXcr0)), $"KVM offers no AVX state here (supported XCR0 0x{vm.SupportedXcr0:x})");
            var s = default(SpecialRegisters);
            cpu.GetSpecialRegisters(ref s);
            Assert.Equal(LongMode.Xcr0X87 | LongMode.Xcr0Sse | LongMode.Xcr0Avx, s.Xcr0);
            Assert.Equal(LongMode.Cr4OsXsave, s.Cr4 & LongMode.Cr4OsXsave);

            // An #UD would halt in its IDT stub instead.
            Assert.Equal(VcpuExit.Out(VcpuProtocol.ExitPort, 4, 0xF0F0), cpu.Run());
            Assert.Equal(3.25, data[3]);
            var r = default(GeneralRegisters);
            cpu.GetRegisters(ref r);
            Assert.Equal(0x0F00UL, r[10]);
            Assert.Equal(32UL, r[9]);
        }
    }

    [KvmFact]
    public void APageFaultArrivesAtItsIdtStubWithTheProcessorFrame()
    {
        ulong unmapped = (ulong)Page(5) + 0x18;
        (IHypervisor vm, IVirtualProcessor cpu) = Start(a =>
        {
            a.mov(rcx, unmapped);
            a.mov(r9, 0x5eed);
            a.mov(eax, __dword_ptr[rcx]);
            a.hlt();
        });
        using (vm)
        using (cpu)
        {
            Assert.Equal(VcpuExitKind.Halt, cpu.Run().Kind);
            var r = default(GeneralRegisters);
            cpu.GetRegisters(ref r);
            var s = default(SpecialRegisters);
            cpu.GetSpecialRegisters(ref s);
            var frame = (ulong*)r[GeneralRegisters.Rsp];
            Assert.Equal((ulong)VcpuProtocol.PageFaultVector, frame[VcpuProtocol.FrameVector / 8]);
            Assert.Equal(0UL, frame[VcpuProtocol.FrameErrorCode / 8] & 1); // not present
            Assert.Equal(unmapped, s.Cr2);
            Assert.Equal((ulong)Page(4), frame[VcpuProtocol.FrameRsp / 8]);
            Assert.InRange(frame[VcpuProtocol.FrameRip / 8], (ulong)Page(1), (ulong)Page(2));
            Assert.Equal(0x5eedUL, r[9]);
        }
    }
}
