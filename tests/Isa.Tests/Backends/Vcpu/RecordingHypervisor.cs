using Isa.Backends.Vcpu;

namespace Isa.Tests.Backends.Vcpu;

/// <summary>A hypervisor that only records: for the shared vCPU code that needs one to exist but never runs a processor.</summary>
internal sealed class RecordingHypervisor(ulong supportedXcr0 = 0) : IHypervisor
{
    public string Name => "recording";

    public int PhysicalAddressBits => 46;

    public ulong SupportedXcr0 => supportedXcr0;

    public List<(ulong GuestPhysical, nint Host, ulong Bytes, bool Writable)> Mappings { get; } = [];

    public void MapMemory(ulong guestPhysical, nint host, ulong bytes, bool writable) => Mappings.Add((guestPhysical, host, bytes, writable));

    public void UnmapMemory(ulong guestPhysical, ulong bytes) => Mappings.RemoveAll(m => m.GuestPhysical == guestPhysical);

    /// <summary>The mapping that backs <paramref name="physical"/>.</summary>
    public Backing Range(ulong physical)
    {
        foreach ((ulong p, nint host, ulong bytes, bool writable) in Mappings)
        {
            if (physical >= p && physical - p < bytes)
            {
                return new Backing(p, host, writable);
            }
        }

        throw new InvalidOperationException($"guest-physical 0x{physical:x} is backed by nothing");
    }

    public IVirtualProcessor CreateProcessor() => throw new NotSupportedException("a recording hypervisor runs nothing");

    public void Dispose()
    {
    }
}

internal readonly record struct Backing(ulong Physical, nint Host, bool Writable)
{
    public nint HostAddress(ulong physical) => Host + (nint)(physical - Physical);
}
