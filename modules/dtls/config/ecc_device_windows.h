/*
 * ecc_device_windows.h: the ECC and bignum window settings of the device configurations, included by
 * mbedtls_device_config.h (2.28 / 3.6) and tfpsacrypto_device_config.h (4.x, where they are crypto options).
 *
 * Small ECC/bignum windows, for less peak heap during an ECDHE-ECDSA handshake at the price of speed
 * (measured on 2.28, client handshake peak): 2-bit comb windows and 1-bit MPI windows -2,072 bytes against
 * mbedtls's defaults; FIXED_POINT_OPTIM 0 a further -424 (the generator's precomputed tables are in flash
 * either way; ESP-IDF quotes 3-4 times slower fixed-point multiplication without them).
 */
#ifndef IDPGATE_ECC_DEVICE_WINDOWS_H
#define IDPGATE_ECC_DEVICE_WINDOWS_H

#undef MBEDTLS_ECP_WINDOW_SIZE
#undef MBEDTLS_ECP_FIXED_POINT_OPTIM
#undef MBEDTLS_MPI_WINDOW_SIZE
#define MBEDTLS_ECP_WINDOW_SIZE 2
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 0
#define MBEDTLS_MPI_WINDOW_SIZE 1

#endif /* IDPGATE_ECC_DEVICE_WINDOWS_H */
