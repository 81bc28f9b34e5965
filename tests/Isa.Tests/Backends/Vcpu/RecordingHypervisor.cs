using Isa.Backends.Vcpu;

namespace Isa.Tests.Backends.Vcpu;

/// <summary>A hypervisor that only records: for the shared vCPU code that needs one to exist but never runs a processor.</summary>
internal sealed class RecordingHypervisor(ulong supportedXcr0 = 0) : IHypervisor
{
    public string Name => "recording";

    public int PhysicalAddressBits => 46;

    public ulong SupportedXcr0 => supportedXcr0;

    public List<(ulong GuestPhysical, nint Host, ulong Bytes)> Mappings { get; } = [];

    public void MapMemory(ulong guestPhysical, nint host, ulong bytes, bool writable) => Mappings.Add((guestPhysical, host, bytes));

    public void UnmapMemory(ulong guestPhysical, ulong bytes) => Mappings.RemoveAll(m => m.GuestPhysical == guestPhysical);

    public IVirtualProcessor CreateProcessor() => throw new NotSupportedException("a recording hypervisor runs nothing");

    public void Dispose()
    {
    }
}
