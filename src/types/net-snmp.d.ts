// The parts of the net-snmp package we use. Its own typings declare these as any.
declare module 'net-snmp' {
  /** A SYNTAX clause as the package's MIB parser leaves it. */
  export type ParsedSyntax =
    | string
    | { [base: string]: { ranges?: Array<{ min: number; max: number }>; sizes?: Array<{ min: number; max: number }> } | Record<string, string> };

  export interface ParsedEntry {
    ObjectName?: string;
    ModuleName?: string;
    MACRO?: string;
    SYNTAX?: ParsedSyntax;
    'MAX-ACCESS'?: string;
    ACCESS?: string;
    STATUS?: string;
    DESCRIPTION?: string;
    INDEX?: string[];
    AUGMENTS?: string[];
    /** NOTIFICATION-TYPE varbind objects */
    OBJECTS?: string[];
    OID?: string;
    NameSpace?: string;
  }

  export interface ModuleStore {
    loadFromFile(fileName: string): void;
    getModule(name: string): Record<string, ParsedEntry> | undefined;
    getModuleNames(includeBase?: boolean): string[];
    getSyntaxTypes(): Record<string, ParsedSyntax | number>;
  }

  export function createModuleStore(): ModuleStore;

  const snmp: {
    createModuleStore: typeof createModuleStore;
  };
  export default snmp;
}
