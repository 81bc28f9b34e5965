namespace Isa.Backends.Vcpu.Whpx;

/// <summary>The processor calls as WinHvPlatform.dll makes them.</summary>
internal sealed unsafe class WhpxNativeProcessorApi : IWhpxProcessorApi
{
    public static readonly WhpxNativeProcessorApi Instance = new();

    private WhpxNativeProcessorApi()
    {
    }

    public int Run(nint partition, uint index, void* exitContext, uint exitContextSize) =>
        WhpxNative.WHvRunVirtualProcessor(partition, index, exitContext, exitContextSize);

    public int CancelRun(nint partition, uint index) => WhpxNative.WHvCancelRunVirtualProcessor(partition, index, 0);

    public int GetRegisters(nint partition, uint index, uint* names, uint count, WhpxNative.RegisterValue* values) =>
        WhpxNative.WHvGetVirtualProcessorRegisters(partition, index, names, count, values);

    public int SetRegisters(nint partition, uint index, uint* names, uint count, WhpxNative.RegisterValue* values) =>
        WhpxNative.WHvSetVirtualProcessorRegisters(partition, index, names, count, values);

    public int Delete(nint partition, uint index) => WhpxNative.WHvDeleteVirtualProcessor(partition, index);
}
