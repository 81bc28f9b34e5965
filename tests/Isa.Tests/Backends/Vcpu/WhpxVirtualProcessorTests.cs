using Isa.Backends.Vcpu;
using Isa.Backends.Vcpu.Whpx;
using static Isa.Tests.Backends.Vcpu.WhpxExitDecoderTests;

namespace Isa.Tests.Backends.Vcpu;

/// <summary>
/// The WHPX processor's own logic on a recording stand-in for WinHvPlatform.dll: RIP moved past a
/// port I/O instruction, cancels before and during a run, the register buffers and names it passes.
/// </summary>
public sealed unsafe class WhpxVirtualProcessorTests
{
    private readonly RecordingApi _api = new();

    [Fact]
    public void AfterAnOutTheNextRunResumesPastTheInstruction()
    {
        using WhpxVirtualProcessor vcpu = Create();
        var registers = default(GeneralRegisters);
        registers.Rip = Rip;
        vcpu.SetRegisters(in registers);
        byte[] exit = Exit(reason: 2, instructionLength: 2);
        Le32(exit, 68, 1 | (4 << 1));
        Le16(exit, 72, 0x1F0);
        Le64(exit, 80, 7);
        _api.Exits.Enqueue(exit);

        VcpuExit result = vcpu.Run();

        Assert.Equal(VcpuExit.Out(0x1F0, 4, 7, instructionLength: 2), result);
        vcpu.GetRegisters(ref registers);
        Assert.Equal(Rip + 2, registers.Rip);
        Assert.Equal([WhpxRegisters.Rip], _api.SetCalls[^1]);
    }

    [Fact]
    public void AHaltLeavesRipAlone()
    {
        using WhpxVirtualProcessor vcpu = Create();
        _api.Exits.Enqueue(Exit(reason: 8, instructionLength: 1));
        int sets = _api.SetCalls.Count;

        Assert.Equal(VcpuExitKind.Halt, vcpu.Run().Kind);
        Assert.Equal(sets, _api.SetCalls.Count);
    }

    [Fact]
    public void ACancelBetweenRunsEndsTheNextRunWithoutEnteringTheProcessor()
    {
        using WhpxVirtualProcessor vcpu = Create();
        vcpu.Cancel();
        Assert.Equal(1, _api.Cancels);

        Assert.Equal(VcpuExitKind.Canceled, vcpu.Run().Kind);
        Assert.Equal(0, _api.Runs);

        _api.Exits.Enqueue(Exit(reason: 8, instructionLength: 1));
        Assert.Equal(VcpuExitKind.Halt, vcpu.Run().Kind);
        Assert.Equal(1, _api.Runs);
    }

    [Fact]
    public void ACancelThatEndedARunIsNotSeenAgain()
    {
        using WhpxVirtualProcessor vcpu = Create();
        _api.DuringRun = vcpu.Cancel;
        _api.Exits.Enqueue(Exit(reason: 0x2001, instructionLength: 0));
        Assert.Equal(VcpuExitKind.Canceled, vcpu.Run().Kind);

        _api.DuringRun = null;
        _api.Exits.Enqueue(Exit(reason: 8, instructionLength: 1));
        Assert.Equal(VcpuExitKind.Halt, vcpu.Run().Kind);
        Assert.Equal(2, _api.Runs);
    }

    [Fact]
    public void ACancelDuringARunThatExitedOtherwiseEndsTheNextRun()
    {
        using WhpxVirtualProcessor vcpu = Create();
        _api.DuringRun = vcpu.Cancel;
        _api.Exits.Enqueue(Exit(reason: 8, instructionLength: 1));
        Assert.Equal(VcpuExitKind.Halt, vcpu.Run().Kind);

        _api.DuringRun = null;
        Assert.Equal(VcpuExitKind.Canceled, vcpu.Run().Kind);
        Assert.Equal(1, _api.Runs);
    }

    [Fact]
    public void AFailedRunIsAFailureWithTheHresult()
    {
        using WhpxVirtualProcessor vcpu = Create();
        _api.RunResult = unchecked((int)0x8037_0301);

        VcpuExit exit = vcpu.Run();

        Assert.Equal(VcpuExitKind.Failure, exit.Kind);
        Assert.Contains("WHvRunVirtualProcessor failed: HRESULT 0x80370301", exit.Message);
    }

    [Fact]
    public void SpecialRegistersRoundTripAndAZeroApicBaseOrXcr0IsLeftAlone()
    {
        using WhpxVirtualProcessor vcpu = Create();
        SpecialRegisters s = LongMode.Registers(unchecked((nint)0x7f00_0000_0000), 0x1_0000_0000, 0x7fff_0000_0000, 0x7ffe_0000_0000);
        _api.Registers[WhpxRegisters.ApicBase] = new WhpxNative.RegisterValue { Reg64 = 0xFEE0_0900 };

        vcpu.SetSpecialRegisters(in s);

        Assert.Equal(WhpxRegisters.SpecialNames[..^2].ToArray(), _api.SetCalls[^1]);
        var back = default(SpecialRegisters);
        vcpu.GetSpecialRegisters(ref back);
        Assert.Equal(s with { Ldt = back.Ldt, ApicBase = 0xFEE0_0900 }, back);

        vcpu.SetSpecialRegisters(s with { ApicBase = 0xFEE0_0D00, Cr4 = s.Cr4 | LongMode.Cr4OsXsave, Xcr0 = 7 });
        Assert.Equal(WhpxRegisters.SpecialNames.ToArray(), _api.SetCalls[^1]);
        Assert.Equal(0xFEE0_0D00UL, _api.Registers[WhpxRegisters.ApicBase].Reg64);
        Assert.Equal(7UL, _api.Registers[WhpxRegisters.Xcr0].Reg64);
        vcpu.GetSpecialRegisters(ref back);
        Assert.Equal(7UL, back.Xcr0);
    }

    [Fact]
    public void ARejectedRegisterWriteThrowsNamingTheCall()
    {
        using WhpxVirtualProcessor vcpu = Create();
        _api.SetResult = unchecked((int)0x8037_0300);
        var registers = default(GeneralRegisters);

        var error = Assert.Throws<InvalidOperationException>(() => vcpu.SetRegisters(in registers));
        Assert.Contains("SetVirtualProcessorRegisters (general) failed: HRESULT 0x80370300", error.Message);
    }

    [Fact]
    public void DisposingDeletesTheProcessorAndFreesItsIndex()
    {
        uint? released = null;
        WhpxVirtualProcessor vcpu = new(_api, 1, 3, index => released = index);
        vcpu.Dispose();
        vcpu.Dispose();

        Assert.Equal(1, _api.Deletes);
        Assert.Equal(3u, released);
        Assert.Throws<ObjectDisposedException>(() => vcpu.Run());
    }

    private WhpxVirtualProcessor Create() => new(_api, partition: 1, index: 0, release: _ => { });

    /// <summary>Keeps registers by name, hands out queued exit contexts and counts calls.</summary>
    private sealed class RecordingApi : IWhpxProcessorApi
    {
        public Dictionary<uint, WhpxNative.RegisterValue> Registers { get; } = [];

        public Queue<byte[]> Exits { get; } = new();

        public List<uint[]> SetCalls { get; } = [];

        public Action? DuringRun { get; set; }

        public int RunResult { get; set; }

        public int SetResult { get; set; }

        public int Runs { get; private set; }

        public int Cancels { get; private set; }

        public int Deletes { get; private set; }

        public int Run(nint partition, uint index, void* exitContext, uint exitContextSize)
        {
            Runs++;
            DuringRun?.Invoke();
            if (RunResult < 0)
            {
                return RunResult;
            }

            Assert.Equal(224u, exitContextSize);
            Exits.Dequeue().CopyTo(new Span<byte>(exitContext, 224));
            return 0;
        }

        public int CancelRun(nint partition, uint index)
        {
            Cancels++;
            return 0;
        }

        public int GetRegisters(nint partition, uint index, uint* names, uint count, WhpxNative.RegisterValue* values)
        {
            Assert.Equal(0, (nint)values & 15);
            for (int i = 0; i < count; i++)
            {
                values[i] = Registers.GetValueOrDefault(names[i]);
            }

            return 0;
        }

        public int SetRegisters(nint partition, uint index, uint* names, uint count, WhpxNative.RegisterValue* values)
        {
            Assert.Equal(0, (nint)values & 15);
            if (SetResult < 0)
            {
                return SetResult;
            }

            SetCalls.Add(new ReadOnlySpan<uint>(names, (int)count).ToArray());
            for (int i = 0; i < count; i++)
            {
                Registers[names[i]] = values[i];
            }

            return 0;
        }

        public int Delete(nint partition, uint index)
        {
            Deletes++;
            return 0;
        }
    }
}
