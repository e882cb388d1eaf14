/**
 * An invoice's 特定业务 as 诺诺's `specificFactor` and its element list. The factor codes follow the
 * platform's 特定要素 codes (03 建筑服务, 04 货物运输服务, 06 不动产经营租赁, 09 旅客运输服务) written
 * as 诺诺 writes its factors, one digit; the list names are ours from 诺诺's 数电 field descriptions
 * and are kept in this one file, so a correction from a live 诺诺 account changes nothing else.
 */
import type { SpecificBusiness } from '../../domain/specific-business.js';

export type NuonuoSpecific = Readonly<Record<string, string | ReadonlyArray<Readonly<Record<string, string>>>>>;

export const NUONUO_SPECIFIC_FACTORS = { construction: '3', freight: '4', property_lease: '6', passenger: '9' } as const;
/** The list each factor carries its elements in. */
export const NUONUO_SPECIFIC_LISTS = { construction: 'buildingServiceList', freight: 'freightList', property_lease: 'realPropertyRentList', passenger: 'passengerList' } as const;

const flag = (value: boolean) => (value ? 'Y' : 'N');
const region = (p: { province: string; city?: string }) => `${p.province}${p.city ?? ''}`;

/** The order fields of a specific business: the factor and its list. */
export function nuonuoSpecific(specific: SpecificBusiness, areaUnit: string | undefined): NuonuoSpecific {
  const list = NUONUO_SPECIFIC_LISTS[specific.kind];
  const factor = { specificFactor: NUONUO_SPECIFIC_FACTORS[specific.kind] };
  switch (specific.kind) {
    case 'property_lease':
      return {
        ...factor,
        [list]: [
          {
            realPropertyAddress: region(specific),
            detailAddress: specific.address,
            rentStartDate: specific.leaseFrom,
            rentEndDate: specific.leaseTo,
            crossCityFlag: flag(specific.crossCity),
            realPropertyCertificate: specific.certificateNo,
            ...(areaUnit && { areaUnit }),
          },
        ],
      };
    case 'construction':
      return {
        ...factor,
        [list]: [
          {
            buildingServicePlace: region(specific),
            detailAddress: specific.address,
            buildingProjectName: specific.projectName,
            crossCityFlag: flag(specific.crossCity),
            ...(specific.landVatProjectNo && { landVatItemNo: specific.landVatProjectNo }),
          },
        ],
      };
    case 'freight':
      return {
        ...factor,
        [list]: specific.shipments.map((s) => ({ transportTool: s.vehicleType, transportToolNum: s.vehicleNo, origin: s.from, destination: s.to, goodsName: s.goods })),
      };
    case 'passenger':
      return {
        ...factor,
        [list]: specific.travellers.map((t) => ({
          traveler: t.name,
          ...(t.idNumber && { idNumber: t.idNumber }),
          travelDate: t.date,
          departure: t.from,
          destination: t.to,
          seatLevel: t.seatClass,
          vehicleType: t.vehicleType,
        })),
      };
  }
}
