/* Single-precision n-body: five bodies integrated with a symplectic Euler
   step (float arithmetic and sqrtf); the energy is printed at the start and
   the end. Built with -ffp-contract=off so every target rounds each operation
   the same way. Size: the number of steps, in thousands. */
#include <math.h>
#include "common.h"

#define NB 5
#define PI 3.14159265f
#define SOLAR_MASS (4.0f * PI * PI)
#define DAYS 365.24f

struct body { float x, y, z, vx, vy, vz, mass; };

static struct body bodies[NB] = {
    {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, SOLAR_MASS},
    {4.84f, -1.16f, -0.10f, 1.66e-3f * DAYS, 7.70e-3f * DAYS, -6.9e-5f * DAYS, 9.54e-4f * SOLAR_MASS},
    {8.34f, 4.12f, -0.40f, -2.77e-3f * DAYS, 4.99e-3f * DAYS, 2.3e-5f * DAYS, 2.86e-4f * SOLAR_MASS},
    {12.89f, -15.11f, -0.22f, 2.96e-3f * DAYS, 2.37e-3f * DAYS, -2.96e-5f * DAYS, 4.37e-5f * SOLAR_MASS},
    {15.38f, -25.92f, 0.18f, 2.68e-3f * DAYS, 1.63e-3f * DAYS, -9.5e-5f * DAYS, 5.15e-5f * SOLAR_MASS},
};

static double energy(void)
{
    double e = 0.0;
    for (int i = 0; i < NB; i++) {
        const struct body *b = &bodies[i];
        e += 0.5 * b->mass * ((double)b->vx * b->vx + (double)b->vy * b->vy + (double)b->vz * b->vz);
        for (int j = i + 1; j < NB; j++) {
            float dx = b->x - bodies[j].x, dy = b->y - bodies[j].y, dz = b->z - bodies[j].z;
            e -= (double)(b->mass * bodies[j].mass) / sqrt((double)(dx * dx + dy * dy + dz * dz));
        }
    }
    return e;
}

static void advance(float dt)
{
    for (int i = 0; i < NB; i++) {
        struct body *b = &bodies[i];
        for (int j = i + 1; j < NB; j++) {
            struct body *c = &bodies[j];
            float dx = b->x - c->x, dy = b->y - c->y, dz = b->z - c->z;
            float d2 = dx * dx + dy * dy + dz * dz;
            float mag = dt / (d2 * sqrtf(d2));
            b->vx -= dx * c->mass * mag; b->vy -= dy * c->mass * mag; b->vz -= dz * c->mass * mag;
            c->vx += dx * b->mass * mag; c->vy += dy * b->mass * mag; c->vz += dz * b->mass * mag;
        }
    }
    for (int i = 0; i < NB; i++) {
        bodies[i].x += dt * bodies[i].vx;
        bodies[i].y += dt * bodies[i].vy;
        bodies[i].z += dt * bodies[i].vz;
    }
}

int main(int argc, char **argv)
{
    long thousands = bench_size(argc, argv, "THOUSANDS-OF-STEPS");
    float px = 0, py = 0, pz = 0;
    for (int i = 0; i < NB; i++) {
        px += bodies[i].vx * bodies[i].mass;
        py += bodies[i].vy * bodies[i].mass;
        pz += bodies[i].vz * bodies[i].mass;
    }
    bodies[0].vx = -px / SOLAR_MASS;
    bodies[0].vy = -py / SOLAR_MASS;
    bodies[0].vz = -pz / SOLAR_MASS;
    printf("nbody start energy=%.9f\n", energy());
    for (long step = 0; step < thousands * 1000; step++)
        advance(0.001f);
    printf("nbody steps=%ld energy=%.9f x1=%.6f\n", thousands * 1000, energy(), (double)bodies[1].x);
    return 0;
}
