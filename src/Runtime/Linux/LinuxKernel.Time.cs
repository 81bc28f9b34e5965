namespace Isa.Runtime.Linux;

public sealed partial class LinuxKernel
{
    private unsafe long ClockGetTime(int clock, uint address, bool time64)
    {
        long* ts = stackalloc long[2];
        long result = HostSyscalls.Call(HostSyscalls.ClockGettime, clock, (nint)ts);
        if (result < 0 || address == 0)
        {
            return result;
        }

        WriteTime(address, ts[0], ts[1], time64);
        return 0;
    }

    private unsafe long GetTimeOfDay(uint address)
    {
        long* ts = stackalloc long[2];
        HostSyscalls.Call(HostSyscalls.ClockGettime, 0, (nint)ts);
        if (address != 0)
        {
            WriteTime(address, ts[0], ts[1] / 1000, time64: false);
        }

        return 0;
    }

    private unsafe long Time(uint address)
    {
        long* ts = stackalloc long[2];
        HostSyscalls.Call(HostSyscalls.ClockGettime, 0, (nint)ts);
        if (address != 0)
        {
            var bytes = new byte[4];
            new GuestStructWriter(bytes, _bigEndian).U32(0, (uint)ts[0]);
            _memory.Write(address, bytes);
        }

        return (uint)ts[0];
    }

    private unsafe long Nanosleep(uint requestAddress)
    {
        Span<byte> request = stackalloc byte[8];
        _memory.Read(requestAddress, request);
        long* ts = stackalloc long[2];
        ts[0] = ReadWord(request);
        ts[1] = ReadWord(request[4..]);
        return HostSyscalls.Call(HostSyscalls.Nanosleep, (nint)ts, 0);
    }

    private void WriteTime(uint address, long seconds, long fraction, bool time64)
    {
        var bytes = new byte[time64 ? 16 : 8];
        var w = new GuestStructWriter(bytes, _bigEndian);
        if (time64)
        {
            w.U64(0, (ulong)seconds);
            w.U64(8, (ulong)fraction);
        }
        else
        {
            w.U32(0, (uint)seconds);
            w.U32(4, (uint)fraction);
        }

        _memory.Write(address, bytes);
    }
}
