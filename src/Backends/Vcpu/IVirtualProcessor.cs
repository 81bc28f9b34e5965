namespace Isa.Backends.Vcpu;

/// <summary>
/// One virtual processor of an <see cref="IHypervisor"/>. It is run by one host thread at a time;
/// only <see cref="Cancel"/> may be called from another thread.
/// </summary>
public interface IVirtualProcessor : IDisposable
{
    void GetRegisters(ref GeneralRegisters registers);

    void SetRegisters(in GeneralRegisters registers);

    void GetSpecialRegisters(ref SpecialRegisters registers);

    void SetSpecialRegisters(in SpecialRegisters registers);

    /// <summary>
    /// Runs until the processor exits. After a <see cref="VcpuExitKind.PortIo"/> exit RIP is already past
    /// the <c>in</c>/<c>out</c> instruction (implementations advance it where the hypervisor does not), so
    /// the next <see cref="Run"/> resumes after it.
    /// </summary>
    VcpuExit Run();

    /// <summary>Makes a running or the next <see cref="Run"/> return <see cref="VcpuExitKind.Canceled"/> soon (any thread).</summary>
    void Cancel();
}
