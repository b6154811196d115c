using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Testing;

namespace ComImpersonation.Analyzers.Tests.Infrastructure
{
    /// <summary>
    /// The .NET reference assemblies for test compilations, taken from the SDK on this machine (its
    /// Microsoft.NETCore.App.Ref pack) so tests never download anything. Falls back to the running runtime's
    /// own assemblies when no reference pack is installed.
    /// </summary>
    internal static class TestReferences
    {
        private static readonly Lazy<ImmutableArray<MetadataReference>> LazyNet = new Lazy<ImmutableArray<MetadataReference>>(Load);

        /// <summary>An empty reference set for the testing library: the assemblies come from <see cref="Net"/>.</summary>
        public static ReferenceAssemblies None { get; } = new ReferenceAssemblies("net10.0");

        public static ImmutableArray<MetadataReference> Net => LazyNet.Value;

        private static ImmutableArray<MetadataReference> Load()
        {
            string runtimeDirectory = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
            string dotnetRoot = Path.GetFullPath(Path.Combine(runtimeDirectory, "..", "..", ".."));
            string packRoot = Path.Combine(dotnetRoot, "packs", "Microsoft.NETCore.App.Ref");
            string? directory = null;
            if (Directory.Exists(packRoot))
            {
                string major = "net" + Environment.Version.Major + "." + Environment.Version.Minor;
                directory = Directory.GetDirectories(packRoot)
                    .OrderByDescending(d => Version.TryParse(Path.GetFileName(d).Split('-')[0], out Version? v) ? v : new Version(0, 0))
                    .Select(d => Path.Combine(d, "ref", major))
                    .FirstOrDefault(Directory.Exists);
            }

            directory ??= runtimeDirectory;
            return Directory.GetFiles(directory, "*.dll")
                .Where(IsManagedAssembly)
                .OrderBy(f => f, StringComparer.Ordinal)
                .Select(f => (MetadataReference)MetadataReference.CreateFromFile(f))
                .ToImmutableArray();
        }

        private static bool IsManagedAssembly(string path)
        {
            try
            {
                System.Reflection.AssemblyName.GetAssemblyName(path);
                return true;
            }
            catch (BadImageFormatException)
            {
                return false;
            }
        }
    }
}
