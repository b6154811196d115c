using System;
using System.Runtime.InteropServices;

namespace AsyncComServer
{
    // Both interfaces come from ReportGenerator.idl, where IReportGenerator carries
    // [async_uuid(5C7B2E61-…)]: MIDL derives AsyncIReportGenerator by splitting each method M into
    // Begin_M (the [in] parameters) and Finish_M (the [out] parameters).

    /// <summary>The synchronous interface: clients that call it block until the report is done.</summary>
    [ComImport]
    [Guid("3A0F8D52-6B0E-4C8B-9E57-2B7C4D1F0A11")]
    [InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
    public interface IReportGenerator
    {
        string Generate(string reportName);

        void Export(string reportName, string destinationDirectory);

        void Publish(string reportName, string shareDirectory);
    }

    /// <summary>The asynchronous form, implemented by a call object (see <see cref="ReportCallObject"/>).</summary>
    [ComImport]
    [Guid("5C7B2E61-0D4A-4F3E-8A2B-6E1D9C3F7B22")]
    [InterfaceType(ComInterfaceType.InterfaceIsIUnknown)]
    public interface AsyncIReportGenerator
    {
        void Begin_Generate(string reportName);

        string Finish_Generate();

        void Begin_Export(string reportName, string destinationDirectory);

        void Finish_Export();

        void Begin_Publish(string reportName, string shareDirectory);

        void Finish_Publish();
    }
}
