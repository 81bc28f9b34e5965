namespace Isa.Backends.Vcpu.Whpx;

/// <summary>
/// The WHPX calls a virtual processor makes (WinHvPlatform.dll in <see cref="WhpxNativeProcessorApi"/>):
/// one seam so the processor's own logic (the RIP advance after port I/O, cancels, register buffers)
/// is tested without Windows. Each returns an HRESULT.
/// </summary>
internal unsafe interface IWhpxProcessorApi
{
    int Run(nint partition, uint index, void* exitContext, uint exitContextSize);

    int CancelRun(nint partition, uint index);

    int GetRegisters(nint partition, uint index, uint* names, uint count, WhpxNative.RegisterValue* values);

    int SetRegisters(nint partition, uint index, uint* names, uint count, WhpxNative.RegisterValue* values);

    int Delete(nint partition, uint index);
}
