"""A software OAK PoE camera (RVC2, NETWORK bootloader) that the real depthai 2.x accepts."""
