// DesignPi Support: small progressive enhancements; the pages work without them.
