namespace Isa.Backends.Vcpu;

/// <summary>What every hypervisor checks the same way: a mapping request's range, and whether one can be opened at all.</summary>
internal static class HypervisorChecks
{
    /// <summary>Throws unless the three values are 4 KiB aligned and the range lies below 2^<paramref name="physicalBits"/>.</summary>
    public static void ValidateMapping(ulong guestPhysical, nint host, ulong bytes, int physicalBits)
    {
        if (((guestPhysical | (ulong)host | bytes) & 0xFFF) != 0 || bytes == 0)
        {
            throw new ArgumentException($"guest-physical 0x{guestPhysical:x}, host 0x{host:x}, 0x{bytes:x} bytes: not page aligned");
        }

        if (guestPhysical + bytes > 1UL << physicalBits)
        {
            throw new ArgumentOutOfRangeException(nameof(guestPhysical), $"guest-physical 0x{guestPhysical:x} + 0x{bytes:x} is outside the {physicalBits}-bit physical space");
        }
    }

    /// <summary>Opens and closes a VM with <paramref name="open"/>: false, with the reason, where the hypervisor is unavailable.</summary>
    public static bool IsAvailable(Func<IHypervisor> open, out string reason)
    {
        try
        {
            using IHypervisor vm = open();
            reason = "";
            return true;
        }
        catch (HypervisorUnavailableException e)
        {
            reason = e.Message;
            return false;
        }
    }
}
