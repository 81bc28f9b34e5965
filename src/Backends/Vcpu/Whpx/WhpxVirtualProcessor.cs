using System.Runtime.InteropServices;

namespace Isa.Backends.Vcpu.Whpx;

/// <summary>
/// A WHPX virtual processor: its index in the partition, and native buffers for the register calls and
/// the exit context (WHV_REGISTER_VALUE is 16-byte aligned; nothing is allocated per call).
/// </summary>
internal sealed unsafe class WhpxVirtualProcessor : IVirtualProcessor
{
    private const int MaxRegisters = 32;

    private readonly IWhpxProcessorApi _api;
    private readonly Action<uint> _release;
    private readonly nint _partition;
    private readonly uint _index;
    private readonly WhpxNative.RegisterValue* _values;
    private readonly byte* _exit;
    private int _cancelPending;
    private bool _disposed;

    /// <param name="release">Called with the index once the processor is deleted, so it can be used again.</param>
    public WhpxVirtualProcessor(IWhpxProcessorApi api, nint partition, uint index, Action<uint> release)
    {
        _api = api;
        _release = release;
        _partition = partition;
        _index = index;
        _values = (WhpxNative.RegisterValue*)NativeMemory.AlignedAlloc((nuint)(MaxRegisters * sizeof(WhpxNative.RegisterValue)), 16);
        _exit = (byte*)NativeMemory.AlignedAlloc(WhpxNative.ExitContextSize, 16);
    }

    public void GetRegisters(ref GeneralRegisters registers)
    {
        Get(WhpxRegisters.GeneralNames, "GetVirtualProcessorRegisters (general)");
        WhpxRegisters.FromValues(Values(WhpxRegisters.GeneralNames.Length), ref registers);
    }

    public void SetRegisters(in GeneralRegisters registers)
    {
        WhpxRegisters.ToValues(in registers, Values(WhpxRegisters.GeneralNames.Length));
        Set(WhpxRegisters.GeneralNames, "SetVirtualProcessorRegisters (general)");
    }

    public void GetSpecialRegisters(ref SpecialRegisters registers)
    {
        Get(WhpxRegisters.SpecialNames, "GetVirtualProcessorRegisters (special)");
        WhpxRegisters.FromValues(Values(WhpxRegisters.SpecialNames.Length), ref registers);
    }

    public void SetSpecialRegisters(in SpecialRegisters registers)
    {
        Span<uint> names = stackalloc uint[WhpxRegisters.SpecialNames.Length];
        int count = WhpxRegisters.ToSettableValues(in registers, names, Values(WhpxRegisters.SpecialNames.Length));
        Set(names[..count], "SetVirtualProcessorRegisters (special)");
    }

    public VcpuExit Run()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);

        // A Cancel before this run: return at once rather than depend on WHPX keeping a cancel for a processor that was not running.
        if (Interlocked.Exchange(ref _cancelPending, 0) != 0)
        {
            return new VcpuExit(VcpuExitKind.Canceled);
        }

        int hr = _api.Run(_partition, _index, _exit, WhpxNative.ExitContextSize);
        if (hr < 0)
        {
            return VcpuExit.Fail($"WHvRunVirtualProcessor failed: {WhpxNative.Describe(hr)}");
        }

        WhpxExit exit = WhpxExitDecoder.Decode(new ReadOnlySpan<byte>(_exit, WhpxNative.ExitContextSize));
        if (exit.Exit.Kind == VcpuExitKind.Canceled)
        {
            Volatile.Write(ref _cancelPending, 0);
        }

        if (exit.ResumeRip is ulong rip)
        {
            uint name = WhpxRegisters.Rip;
            _values[0] = new WhpxNative.RegisterValue { Reg64 = rip };
            int set = _api.SetRegisters(_partition, _index, &name, 1, _values);
            if (set < 0)
            {
                return VcpuExit.Fail($"WHPX could not move RIP past the port I/O instruction: {WhpxNative.Describe(set)}");
            }
        }

        return exit.Exit;
    }

    public void Cancel()
    {
        Volatile.Write(ref _cancelPending, 1);
        _api.CancelRun(_partition, _index);
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _api.Delete(_partition, _index);
            NativeMemory.AlignedFree(_values);
            NativeMemory.AlignedFree(_exit);
            _release(_index);
        }
    }

    private Span<WhpxNative.RegisterValue> Values(int count) => new(_values, count);

    private void Get(ReadOnlySpan<uint> names, string what)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        fixed (uint* n = names)
        {
            WhpxNative.Check(_api.GetRegisters(_partition, _index, n, (uint)names.Length, _values), what);
        }
    }

    private void Set(ReadOnlySpan<uint> names, string what)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        fixed (uint* n = names)
        {
            WhpxNative.Check(_api.SetRegisters(_partition, _index, n, (uint)names.Length, _values), what);
        }
    }
}
