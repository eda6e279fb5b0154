package io.sparkmlp.nn;

/** Prints the BLAS report of a fresh JVM as key=value lines, for {@link BlasTest}. */
public final class BlasReportMain {

    private BlasReportMain() {
    }

    public static void main(String[] args) {
        Blas.Report report = Blas.report();
        System.out.println("requested=" + report.requested().id());
        System.out.println("used=" + report.used().id());
        System.out.println("library=" + report.library());
        System.out.println("implementation=" + report.implementation());
        System.out.println("describe=" + report.describe());
        System.out.println("warnings=" + report.warnings());
    }
}
