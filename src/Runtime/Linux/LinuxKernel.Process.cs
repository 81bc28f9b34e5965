using System.Text;

namespace Isa.Runtime.Linux;

public sealed partial class LinuxKernel
{
    private long SetThreadArea(uint pointer)
    {
        _abi.SetThreadPointer(_cpu, pointer);
        return 0;
    }

    /// <summary>The host's uname with the guest's machine name, as qemu-user reports it.</summary>
    private unsafe long Uname(uint address)
    {
        var buffer = new byte[6 * 65];
        fixed (byte* p = buffer)
        {
            long result = HostSyscalls.Call(HostSyscalls.Uname, (nint)p);
            if (result < 0)
            {
                return result;
            }
        }

        Span<byte> machine = buffer.AsSpan(4 * 65, 65);
        machine.Clear();
        Encoding.ASCII.GetBytes(_abi.UnameMachine).CopyTo(machine);
        _memory.Write(address, buffer);
        return 0;
    }

    private unsafe long HostLimit(int guestResource, out ulong current, out ulong maximum)
    {
        current = maximum = 0;
        int resource = _abi.HostResource(guestResource);
        if (resource < 0)
        {
            return -(long)Errno.EINVAL;
        }

        ulong* limits = stackalloc ulong[2];
        long result = HostSyscalls.Call(HostSyscalls.Prlimit64, 0, resource, 0, (nint)limits);
        current = limits[0];
        maximum = limits[1];
        return result;
    }

    private long GetResourceLimit(uint guestResource, uint address)
    {
        long result = HostLimit((int)guestResource, out ulong current, out ulong maximum);
        if (result < 0)
        {
            return result;
        }

        var bytes = new byte[8];
        var w = new GuestStructWriter(bytes, _bigEndian);
        w.U32(0, (uint)Math.Min(current, _abi.RlimInfinity32));
        w.U32(4, (uint)Math.Min(maximum, _abi.RlimInfinity32));
        _memory.Write(address, bytes);
        return 0;
    }

    private long PrLimit64(int pid, uint guestResource, uint newAddress, uint oldAddress)
    {
        if (pid != 0 && pid != HostSyscalls.Call(HostSyscalls.Getpid))
        {
            return -(long)Errno.EPERM;
        }

        long result = HostLimit((int)guestResource, out ulong current, out ulong maximum);
        if (result < 0)
        {
            return result;
        }

        if (oldAddress != 0)
        {
            var bytes = new byte[16];
            var w = new GuestStructWriter(bytes, _bigEndian);
            w.U64(0, current);
            w.U64(8, maximum);
            _memory.Write(oldAddress, bytes);
        }

        return 0; // new limits are accepted and ignored: the guest shares the emulator's process
    }
}
